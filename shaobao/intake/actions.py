"""Writes on demands: receive, place, triage (handle / transfer / merge), self-handling, callback.

One write path (STYLE.md): each do_* locks the row, checks `states.DEMAND_TRANSITIONS` and the actor's
role and organisation, writes the new state and an audit event in one transaction, and queues the
notifications after commit. An illegal step raises Conflict and writes nothing. Blowing a whistle is
in `whistles.actions.do_blow_whistle` (it moves the demands through `transition` below).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import signals
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from shaobao.core import audit, events
from shaobao.core.calendar import add_time_limit, add_working_days
from shaobao.core.choices import Urgency
from shaobao.core.db import hot_cursor
from shaobao.core.delivery import row_fields
from shaobao.core.errors import Conflict, Forbidden, NotAuthenticated, ValidationFailed
from shaobao.core.models import Event, Notification
from shaobao.core.notifications import email_on_commit, msg, notify_on_commit
from shaobao.duties.selectors import matter_in_force, rule_for
from shaobao.intake import extensions, people
from shaobao.intake.access import access_demand, lock_demand
from shaobao.intake.codes import new_tracking_code
from shaobao.intake.models import Channel, Demand, DemandKind, DemandPhoto, DemandState, Satisfaction
from shaobao.intake.placement import place_demand, street_by_code
from shaobao.intake.states import FINAL_STATES, check_demand_step
from shaobao.intake.uploads import checked_photos
from shaobao.org.models import Division, Grid, Membership, Role, Unit
from shaobao.org.notifications import notify_members_now

PHONE_RE = re.compile(r"^[0-9+\-() ]{3,30}$")
STREET_UNIT_KINDS = {"street_section", "community_committee", "enforcement_team"}
PUBLIC_CHANNELS = {Channel.RESIDENT_WEB}
# `Choices.values` builds a new list on every access; intake checks these on every demand.
_CHANNELS, _KINDS, _URGENCIES = (
    frozenset(Channel.values),
    frozenset(DemandKind.values),
    frozenset(Urgency.values),
)


def demand_url(demand: Demand) -> str:
    try:
        return reverse("intake:detail", args=[demand.pk])
    except NoReverseMatch:
        return f"/demands/{demand.pk}/"


def transition(
    demand: Demand, action: str, *, actor, note: str = "", data: dict | None = None, **changes
) -> Demand:
    """Move a locked demand one step along the table and record it (call inside the transaction)."""
    from_state = demand.state
    demand.state = check_demand_step(from_state, action)
    for name, value in changes.items():
        setattr(demand, name, value)
    demand.save(update_fields=["state", *changes])
    audit.record(
        demand, action, actor=actor, from_state=from_state, to_state=demand.state, note=note, data=data
    )
    return demand


def _require_triage(actor, demand: Demand) -> None:
    """Street dispatchers and leaders act for their own street's demands."""
    if actor.is_superuser or people.acts_for_street(actor, demand.street):
        return
    raise Forbidden("只有本街乡的派单员或领导可以分拨 / Only the street's dispatcher or leader may do this")


# --- receive -------------------------------------------------------------------------------------


def _validate_demand_input(**v) -> dict[str, str]:
    errors: dict[str, str] = {}
    if v["channel"] not in _CHANNELS:
        errors["channel"] = "渠道无效 / Unknown channel"
    if v["kind"] not in _KINDS:
        errors["kind"] = "类型无效 / Unknown kind"
    if not (v["subject"] or "").strip():
        errors["subject"] = "请填写标题 / Subject is required"
    elif len(v["subject"]) > 200:
        errors["subject"] = "标题不超过200字 / Subject: at most 200 characters"
    if not (v["body"] or "").strip():
        errors["body"] = "请填写内容 / Body is required"
    elif len(v["body"]) > 5000:
        errors["body"] = "内容不超过5000字 / Body: at most 5000 characters"
    if len(v["reporter_name"] or "") > 60:
        errors["reporter_name"] = "姓名过长 / Name too long"
    phone = (v["reporter_phone"] or "").strip()
    if phone and not PHONE_RE.match(phone):
        errors["reporter_phone"] = "电话号码格式不正确 / Invalid phone number"
    if len(v["address"] or "") > 300:
        errors["address"] = "地址不超过300字 / Address: at most 300 characters"
    if v["urgency"] not in _URGENCIES:
        errors["urgency"] = "紧急程度无效 / Unknown urgency"
    lat, lng = v["lat"], v["lng"]
    if (lat is None) != (lng is None):
        errors["lat"] = "经纬度须同时提供 / Give both latitude and longitude"
    elif lat is not None:
        try:
            if not (-90 <= float(lat) <= 90 and -180 <= float(lng) <= 180):
                errors["lat"] = "坐标超出范围 / Coordinates out of range"
        except (TypeError, ValueError):
            errors["lat"] = "坐标格式不正确 / Invalid coordinates"
    key = v["idempotency_key"]
    if key is not None and (not str(key).strip() or len(str(key)) > 100):
        errors["idempotency_key"] = "幂等键须为1-100个字符 / Idempotency key: 1-100 characters"
    return errors


def do_receive_demand(
    *,
    actor,
    channel: str,
    kind: str,
    subject: str,
    body: str,
    reporter_name: str = "",
    reporter_phone: str = "",
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    urgency: str = "normal",
    street_code: str | None = None,
    idempotency_key: str | None = None,
    photos: Iterable = (),
    matter_code: str | None = None,
    community_code: str | None = None,
    grid_code: str | None = None,
) -> Demand:
    """Accept a demand from any channel; committed before it returns (the API answers 201 after it).

    `community_code` / `grid_code` (with `street_code`): a channel that knows the place more exactly than
    the street (Open311's `address_id`); it must lie in that street.

    The same creator sending the same idempotency key again gets the first demand back, also when the
    two requests race (the unique constraint decides, the loser reads the winner's row).
    """
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if not authenticated and channel not in PUBLIC_CHANNELS:
        raise NotAuthenticated("请先登录 / Please log in")
    if (
        authenticated
        and channel not in PUBLIC_CHANNELS
        and not people.has_role(
            actor,
            people.STREET_STAFF_ROLES | people.UNIT_STAFF_ROLES | people.DISTRICT_DECIDERS,
        )
        and not extensions.may_report_in(channel, actor)  # a channel of its own (see extensions)
    ):
        raise Forbidden("居民请通过网上渠道提交 / Residents submit through the web channel")
    errors = _validate_demand_input(
        channel=channel,
        kind=kind,
        subject=subject,
        body=body,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        address=address,
        urgency=urgency,
        lat=lat,
        lng=lng,
        idempotency_key=idempotency_key,
    )
    given_street = street_by_code(street_code) if street_code and not errors else None
    if street_code and not errors and given_street is None:
        errors["street_code"] = f"街乡 {street_code} 不存在 / Unknown street {street_code}"
    given_community, given_grid = _place_in_street(given_street, community_code, grid_code, errors)
    if errors:
        raise ValidationFailed("提交内容有误 / The demand is not valid", fields=errors)
    creator = actor if authenticated else None
    key = str(idempotency_key).strip() if idempotency_key is not None else None
    # No look-up of the key before the insert: the unique constraint (creator, key) answers a replay in the
    # except branch below, so a new demand (the common case) costs one query less.
    files = checked_photos(photos)
    lat_f = float(lat) if lat is not None else None
    lng_f = float(lng) if lng is not None else None
    placement = place_demand(
        lat=lat_f,
        lng=lng_f,
        street=given_street,
        address=(address or "").strip(),
        text=f"{subject.strip()}。{body.strip()}",
        community=given_community,
        grid=given_grid,
    )
    matter = None
    if matter_code:
        district = placement.street.parent if placement.street else None
        matter = matter_in_force(matter_code, district) if district else None
    for _attempt in range(8):
        code = new_tracking_code()
        demand = Demand(
            tracking_code=code,
            channel=channel,
            kind=kind,
            subject=subject.strip(),
            body=body.strip(),
            reporter_name=(reporter_name or "").strip(),
            reporter_phone=(reporter_phone or "").strip(),
            address=(address or "").strip(),
            lat=lat_f,
            lng=lng_f,
            urgency=urgency,
            street=placement.street,
            community=placement.community,
            grid=placement.grid,
            placement_source=placement.source,
            placement_confidence=placement.confidence,
            placement_candidates=list(placement.candidates),
            matter=matter,
            created_by=creator,
            idempotency_key=key if creator is not None else None,
        )
        event = Event(
            subject_type=Demand._meta.label_lower,
            action="receive",
            actor=creator,
            to_state=demand.state,
            data={
                "channel": channel,
                "placement": placement.source,
                "confidence": placement.confidence,
                "candidates": len(placement.candidates),
                "photos": len(files),
            },
        )
        try:
            with transaction.atomic():
                _insert_received(demand, event)
                for f in files:
                    DemandPhoto.objects.create(demand=demand, image=f, uploaded_by=creator)
                _emit_received(demand, placement)
            demand.replayed = False
            return demand
        except IntegrityError:
            if key and creator is not None:
                existing = Demand.objects.filter(created_by=creator, idempotency_key=key).first()
                if existing is not None:
                    existing.replayed = True
                    return existing
            if Demand.objects.filter(tracking_code=code).exists():
                continue  # a tracking-code collision: draw another
            raise
    raise Conflict("无法生成受理编号，请重试 / Could not allocate a tracking code, try again")


def _place_in_street(street, community_code, grid_code, errors: dict):
    """The community / grid a channel named inside the street it gave (None, None when it named none)."""
    if street is None or not (community_code or grid_code):
        return None, None
    if grid_code:
        grid = Grid.objects.select_related("community").filter(code=grid_code).first()
        if grid is None or grid.community is None or grid.community.parent_id != street.pk:
            errors["grid_code"] = f"网格 {grid_code} 不在该街乡 / Grid {grid_code} is not in the street"
            return None, None
        return grid.community, grid
    community = Division.objects.filter(
        code=Division.full_code(community_code), level="community", parent=street
    ).first()
    if community is None:
        errors["community_code"] = (
            f"社区 {community_code} 不在该街乡 / Community {community_code} is not in the street"
        )
    return community, None


def _emit_received(demand: Demand, placement) -> None:
    """demand.received (and demand.placed when the words or coordinates placed it), after commit, in one
    outbox insert; nothing is built when nobody listens (this is the gateways' hot path)."""
    items = []
    if events.has_subscribers(events.DEMAND_RECEIVED):
        items.append((events.DEMAND_RECEIVED, demand_payload(demand)))
    if placement.street is not None and events.has_subscribers(events.DEMAND_PLACED):
        placed = {
            **demand_payload(demand),
            "community": getattr(placement.community, "code", None),
            "grid": getattr(placement.grid, "code", None),
            "source": placement.source,
            "confidence": placement.confidence,
        }
        items.append((events.DEMAND_PLACED, placed))
    if items:
        events.emit_all_on_commit(items)


def demand_payload(demand: Demand) -> dict:
    """What every demand event says: ids, codes and state, never the resident's name or phone."""
    street = demand.street if demand.street_id else None
    return {
        "demand_id": demand.pk,
        "tracking_code": demand.tracking_code,
        "channel": str(demand.channel),
        "kind": str(demand.kind),
        "urgency": str(demand.urgency),
        "state": str(demand.state),
        "street": getattr(street, "code", None),
        "has_phone": bool(demand.reporter_phone),  # whether an SMS can be sent (not the number itself)
    }


def public_text(note: str, demand: Demand) -> str:
    """A reply or result as the tracking page shows it (names, phones, e-mails, ID numbers scrubbed): what
    an event may carry to the systems outside."""
    from shaobao.intake.privacy import scrub_personal_data

    return scrub_personal_data(note or "", demand)


def emit_demand(name: str, demand: Demand, **extra) -> None:
    """A demand event after commit (no query, nothing built, when nobody listens)."""
    if events.has_subscribers(name):
        events.emit_on_commit(name, **demand_payload(demand), **extra)


# Intake is the hottest write path (gateways send hundreds of demands a second): the demand, its audit
# event and the dispatchers' bell rows are written by hand-built INSERTs whose SQL is made once per
# process, instead of three ORM saves (compiling those statements cost more CPU than the database spent
# running them). Model signals are still sent, so receivers (routing's fingerprints) run in the same
# transaction as with `save()`.


def _insert_received(demand: Demand, event: Event) -> None:
    """Write a new demand, its "receive" event and the street dispatchers' bell rows (the rows
    `org.notifications.notify_members_now` writes), in the caller's transaction; sets `demand.pk`.

    PostgreSQL: one statement (data-modifying CTEs). SQLite: one statement each."""
    using = connection.alias
    signals.pre_save.send(sender=Demand, instance=demand, raw=False, using=using, update_fields=None)
    demand_values = _row_values(demand)
    event.at = timezone.now()  # auto_now_add
    event_values = _row_values(event, skip=("subject_id",))
    street_id = demand.street_id
    text = msg(N_("New demand %(code)s: %(subject)s"), code=demand.tracking_code, subject=demand.subject)
    url_head, url_tail = _demand_url_parts()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "postgresql":
        params = [*demand_values, *event_values]
        if street_id is not None:
            bell = row_fields(text)
            params += [bell["text"], bell["message"], json.dumps(bell["params"], ensure_ascii=False)]
            params += [url_head, url_tail, now, street_id, Role.STREET_DISPATCHER]
        with hot_cursor() as cursor:
            cursor.execute(_pg_receive_sql(street_id is not None), params)
            rows = cursor.fetchall()
        demand.pk = rows[0][0]
        notified = sorted(r[1] for r in rows if r[1] is not None)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(Demand), demand_values)
            demand.pk = cursor.lastrowid
            cursor.execute(_insert_sql(Event, last="subject_id"), [*event_values, demand.pk])
        notified = []
        if street_id is not None:
            notified = notify_members_now(
                street_id, [Role.STREET_DISPATCHER], text, demand_url(demand), email=False
            )
    demand._state.adding = False
    demand._state.db = using
    event.subject_id = demand.pk
    if notified and demand.urgency != Urgency.NORMAL:
        # Only an urgent demand's e-mails go through the queue, after commit.
        email_on_commit(notified, text, f"{url_head}{demand.pk}{url_tail}")
    signals.post_save.send(
        sender=Demand, instance=demand, created=True, update_fields=None, raw=False, using=using
    )
    if _transaction_failed():
        # A receiver caught a database error without a savepoint: PostgreSQL has aborted the transaction
        # and its COMMIT would roll everything back silently, so the caller would answer 201 for a demand
        # that was never stored. Fail loudly instead.
        raise DatabaseError(
            "a receiver of the demand's post_save swallowed a database error; the demand was not stored"
        )


def _transaction_failed() -> bool:
    """Is the PostgreSQL transaction in the failed state (a local check: no round trip)?"""
    if connection.vendor != "postgresql" or connection.connection is None:
        return False
    import psycopg

    info = getattr(connection.connection, "info", None)
    return getattr(info, "transaction_status", None) == psycopg.pq.TransactionStatus.INERROR


def _row_values(obj, skip: tuple[str, ...] = ()) -> list:
    """The database values of a new model instance, in `_insert_fields` order, as `save()` prepares them
    (defaults, auto_now_add, datetime and JSON adaptation); plain columns are taken as they are."""
    values = []
    for field, plain in _insert_preparers(type(obj)):
        if field.attname in skip:
            continue
        if plain:
            values.append(getattr(obj, field.attname))
        else:
            values.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return values


# Column types whose `get_db_prep_save` returns a str/number/None value unchanged (ForeignKey: the id).
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.FloatField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.BigIntegerField,
    models.BooleanField,
    models.ForeignKey,
)


@functools.cache
def _insert_fields(model) -> tuple:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@functools.cache
def _insert_preparers(model) -> tuple:
    return tuple((f, type(f) in _PLAIN_FIELDS) for f in _insert_fields(model))


@functools.cache
def _insert_sql(model, last: str | None = None) -> str:
    """INSERT of every column but the primary key; the field `last` (an attname), if given, is moved to
    the end (its value is known only once the demand has its id)."""
    qn = connection.ops.quote_name
    fields = _insert_fields(model)
    names = [f.column for f in fields if f.attname != last] + [f.column for f in fields if f.attname == last]
    marks = ", ".join(["%s"] * len(names))
    return f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(n) for n in names)}) VALUES ({marks})"


@functools.cache
def _pg_receive_sql(notify: bool) -> str:
    """Demand, event and bell rows in one statement; answers (demand id, notified user id) rows."""
    qn = connection.ops.quote_name
    demand_cols = [f.column for f in _insert_fields(Demand)]
    event_fields = [f for f in _insert_fields(Event) if f.attname != "subject_id"]
    marks = ", ".join
    # Typed parameters in the select lists: with server-side binding PostgreSQL cannot infer them there.
    event_values = marks(f"CAST(%s AS {f.db_type(connection)})" for f in event_fields)
    sql = (
        f"WITH d AS (INSERT INTO {qn(Demand._meta.db_table)} ({marks(qn(c) for c in demand_cols)}) "
        f"VALUES ({marks(['%s'] * len(demand_cols))}) RETURNING {qn('id')}), "
        f"e AS (INSERT INTO {qn(Event._meta.db_table)} ({marks(qn(f.column) for f in event_fields)}, "
        f"{qn('subject_id')}) SELECT {event_values}, d.{qn('id')} FROM d)"
    )
    if not notify:
        return sql + f" SELECT d.{qn('id')}, NULL FROM d"
    membership = qn(Membership._meta.db_table)
    users = qn(get_user_model()._meta.db_table)
    return sql + (
        f", n AS (INSERT INTO {qn(Notification._meta.db_table)} (user_id, text, message, params, url, created_at) "
        f"SELECT DISTINCT m.user_id, CAST(%s AS text), CAST(%s AS text), CAST(%s AS jsonb), "
        f"CAST(%s AS text) || CAST(d.{qn('id')} AS text) || "
        f"CAST(%s AS text), CAST(%s AS timestamp with time zone) "
        f"FROM d, {membership} m JOIN {users} u ON u.id = m.user_id AND u.is_active "
        f"WHERE m.division_id = %s AND m.role = %s RETURNING user_id) "
        f"SELECT d.{qn('id')}, n.user_id FROM d LEFT JOIN n ON TRUE"
    )


@functools.cache
def _demand_url_parts() -> tuple[str, str]:
    """`demand_url` around the id: ("/demands/", "/")."""
    marker = 987654321
    url = demand_url(Demand(pk=marker))
    head, _, tail = url.partition(str(marker))
    return head, tail


# --- placement and triage ------------------------------------------------------------------------


def do_correct_placement(
    *,
    actor,
    demand_id: int,
    street_code: str | None = None,
    community_code: str | None = None,
    grid_code: str | None = None,
    note: str = "",
) -> Demand:
    """A person corrects where the demand is (the most precise of grid / community / street wins)."""
    grid = community = street = None
    if grid_code:
        grid = Grid.objects.select_related("community").filter(code=grid_code).first()
        if grid is None:
            raise ValidationFailed("网格不存在 / Unknown grid", fields={"grid_code": "not_found"})
        community = grid.community
    if community_code and community is None:
        community = Division.objects.filter(
            code=Division.full_code(community_code), level="community"
        ).first()
        if community is None:
            raise ValidationFailed("社区不存在 / Unknown community", fields={"community_code": "not_found"})
    if community is not None:
        street = community.ancestor("street")
    if street_code:
        given = street_by_code(street_code)
        if given is None:
            raise ValidationFailed("街乡不存在 / Unknown street", fields={"street_code": "not_found"})
        if street is not None and given.pk != street.pk:
            raise ValidationFailed(
                "网格/社区不在该街乡内 / The grid or community is not in that street",
                fields={"street_code": "mismatch"},
            )
        street = given
    if street is None:
        raise ValidationFailed(
            "请指定位置 / Give a street, community or grid", fields={"street_code": "required"}
        )
    with transaction.atomic():
        demand = lock_demand(actor, demand_id)
        if demand.state in FINAL_STATES:
            raise Conflict("该诉求已办结或已合并 / The demand is already final", code="illegal_transition")
        old_street = Division.objects.filter(pk=demand.street_id).first()
        may = actor.is_superuser or people.decides_in_district(actor, old_street or street)
        if not may and old_street is not None and people.acts_for_street(actor, old_street):
            # A street may refine the place inside its own territory; moving away is a transfer.
            may = old_street.pk == street.pk
        if not may:
            raise Forbidden("无权更正该诉求的位置 / You may not correct this demand's placement")
        before = {"street": demand.street_id, "community": demand.community_id, "grid": demand.grid_id}
        demand.street, demand.community, demand.grid = street, community, grid
        picked = any(
            c.get("street_code") == street.code
            and c.get("community_code", "") == getattr(community, "code", "")
            for c in demand.placement_candidates or []
        )
        demand.placement_source = "manual"
        demand.placement_confidence = 1.0
        demand.placement_candidates = []
        demand.save(
            update_fields=[
                "street",
                "community",
                "grid",
                "placement_source",
                "placement_confidence",
                "placement_candidates",
            ]
        )
        after = {
            "street": street.pk,
            "community": getattr(community, "pk", None),
            "grid": getattr(grid, "pk", None),
            "picked_candidate": picked,
        }
        audit.record(
            demand, "correct_placement", actor=actor, note=note, data={"before": before, "after": after}
        )
        emit_demand(
            events.DEMAND_PLACED,
            demand,
            community=getattr(community, "code", None),
            grid=getattr(grid, "code", None),
            source="manual",
            confidence=1.0,
        )
        if before["street"] != street.pk:
            notify_on_commit(
                people.street_staff(street.pk),
                msg(N_("Demand %(code)s was placed in your street"), code=demand.tracking_code),
                demand_url(demand),
            )
    return demand


def do_self_handle(*, actor, demand_id: int, unit_code: str, note: str = "") -> Demand:
    """The street handles the demand with its own section, community or enforcement team."""
    with transaction.atomic():
        demand = lock_demand(actor, demand_id)
        _require_triage(actor, demand)
        check_demand_step(demand.state, "self_handle")
        unit = Unit.objects.select_related("division").filter(code=unit_code, is_active=True).first()
        street = demand.street
        if (
            unit is None
            or street is None
            or unit.kind not in STREET_UNIT_KINDS
            or not unit.division.code.startswith(street.prefix)
        ):
            raise ValidationFailed(
                "请选择本街乡的科室、社区或综合执法队 / Choose a section, community or team of this street",
                fields={"unit_code": "invalid"},
            )
        rule = rule_for(demand.matter, street) if demand.matter_id else None
        now = timezone.now()
        if rule and rule.time_limit:
            due = add_time_limit(now, rule.time_limit, rule.time_limit_unit)
        else:
            due = add_working_days(now, settings.FINISH_DEFAULT_WORKING_DAYS.get("general", 7))
        transition(
            demand,
            "self_handle",
            actor=actor,
            note=note,
            data={"unit": unit.code},
            assigned_unit=unit,
            due_at=due,
        )
        # Routing (above intake) learns from the street's choice: it installed this recorder.
        extensions.record_outcome(
            demand=demand, proposal=None, chosen_matter=demand.matter, chosen_units=[unit], actor=actor
        )
        notify_on_commit(
            people.unit_staff([unit.pk]),
            msg(
                N_("Assigned by the street: %(code)s %(subject)s"),
                code=demand.tracking_code,
                subject=demand.subject,
            ),
            demand_url(demand),
        )
    return demand


def do_transfer(*, actor, demand_id: int, street_code: str, note: str = "") -> Demand:
    """Wrong territory: hand the demand to another street of the district, still awaiting triage."""
    with transaction.atomic():
        demand = lock_demand(actor, demand_id)
        _require_triage(actor, demand)
        target = street_by_code(street_code)
        if target is None or target.pk == demand.street_id:
            raise ValidationFailed(
                "请选择另一个街乡 / Choose another street", fields={"street_code": "invalid"}
            )
        if demand.street is not None and target.parent_id != demand.street.parent_id:
            raise ValidationFailed(
                "只能转给本区的街乡 / Only streets of the same district",
                fields={"street_code": "other_district"},
            )
        source = demand.street
        transition(
            demand,
            "transfer",
            actor=actor,
            note=note,
            data={"from_street": getattr(source, "code", None), "to_street": target.code},
            street=target,
            community=None,
            grid=None,
            placement_source="manual",
        )
        emit_demand(
            events.DEMAND_PLACED, demand, community=None, grid=None, source="transfer", confidence=1.0
        )
        notify_on_commit(
            people.street_staff(target.pk),
            msg(
                N_("Transferred from %(street)s: %(code)s %(subject)s"),
                street=getattr(source, "name", "—"),
                code=demand.tracking_code,
                subject=demand.subject,
            ),
            demand_url(demand),
        )
    return demand


def do_merge(*, actor, demand_id: int, into_id: int, note: str = "") -> Demand:
    """A repeat of another demand about the same problem: merged into it, follows its result."""
    if int(demand_id) == int(into_id):
        raise ValidationFailed("不能合并到自身 / Cannot merge a demand into itself", fields={"into": "self"})
    with transaction.atomic():
        access_demand(actor, demand_id)
        access_demand(actor, into_id)
        # Lock both rows in id order so two opposite merges cannot deadlock.
        locked = {
            d.pk: d
            for d in Demand.objects.select_for_update().filter(pk__in=[demand_id, into_id]).order_by("pk")
        }
        demand, target = locked[int(demand_id)], locked[int(into_id)]
        _require_triage(actor, demand)
        if target.street_id != demand.street_id:
            raise ValidationFailed(
                "只能合并本街乡的诉求 / Only demands of the same street", fields={"into": "other_street"}
            )
        if target.state == DemandState.MERGED:
            raise Conflict("目标诉求已被合并 / The target demand is itself merged", code="illegal_transition")
        transition(
            demand, "merge", actor=actor, note=note, data={"into": target.tracking_code}, merged_into=target
        )
        audit.record(target, "absorb", actor=actor, note=note, data={"merged": demand.tracking_code})
    return demand


# --- the street's own handling ------------------------------------------------------------------


def do_finish_self_handling(*, actor, demand_id: int, note: str) -> Demand:
    """The assigned street unit (or the dispatcher for it) reports the demand handled."""
    if not (note or "").strip():
        raise ValidationFailed("请说明办理结果 / Describe what was done", fields={"note": "required"})
    with transaction.atomic():
        demand = lock_demand(actor, demand_id)
        if not (
            actor.is_superuser
            or people.acts_for_unit(actor, demand.assigned_unit_id)
            or extensions.is_extra_handler(actor, demand)
        ):
            _require_triage(actor, demand)
        transition(demand, "finish_self_handling", actor=actor, note=note, handled_at=timezone.now())
        emit_demand(events.DEMAND_REPLIED, demand, reply=public_text(note, demand), by="street")
        notify_on_commit(
            people.street_staff(demand.street_id),
            msg(N_("Demand %(code)s handled: please verify"), code=demand.tracking_code),
            demand_url(demand),
        )
    return demand


def do_verify_self_handling(*, actor, demand_id: int, passed: bool, note: str = "") -> Demand:
    """The street checks the result: closed, or back to its unit (rework, counted)."""
    with transaction.atomic():
        demand = lock_demand(actor, demand_id)
        _require_triage(actor, demand)
        if passed:
            transition(demand, "verify_pass", actor=actor, note=note, closed_at=timezone.now())
            emit_demand(events.DEMAND_CLOSED, demand, result=public_text(note, demand), by="street")
        else:
            transition(
                demand,
                "verify_fail",
                actor=actor,
                note=note,
                rework_count=demand.rework_count + 1,
                handled_at=None,
            )
            notify_on_commit(
                people.unit_staff([demand.assigned_unit_id]),
                msg(N_("Demand %(code)s failed verification: rework"), code=demand.tracking_code),
                demand_url(demand),
            )
    return demand


def do_callback(*, actor, demand_id: int, solved: bool, satisfaction: str, note: str = "") -> Demand:
    """The resident was called back: solved and (basically) satisfied ends it; otherwise it reopens."""
    if satisfaction not in Satisfaction.values:
        raise ValidationFailed("满意度无效 / Unknown satisfaction", fields={"satisfaction": "invalid"})
    with transaction.atomic():
        demand = lock_demand(actor, demand_id)
        may = actor.is_superuser or people.acts_for_street(actor, demand.street, {"street_dispatcher"})
        may = may or people.decides_in_district(actor, demand.street)
        if not may:
            raise Forbidden("只有派单员或协调员可以回访 / Only a dispatcher or coordinator calls back")
        now = timezone.now()
        fields = {"solved": bool(solved), "satisfaction": satisfaction, "called_back_at": now}
        data = {"solved": bool(solved), "satisfaction": satisfaction}
        if solved and satisfaction != Satisfaction.UNSATISFIED:
            transition(demand, "callback_satisfied", actor=actor, note=note, data=data, **fields)
            emit_demand(events.DEMAND_CALLED_BACK, demand, solved=bool(solved), satisfaction=satisfaction)
        else:
            transition(
                demand,
                "callback_unsatisfied",
                actor=actor,
                note=note,
                data=data,
                rework_count=demand.rework_count + 1,
                **fields,
            )
            emit_demand(events.DEMAND_CALLED_BACK, demand, solved=bool(solved), satisfaction=satisfaction)
            notify_on_commit(
                people.street_staff(demand.street_id),
                msg(
                    N_("Demand %(code)s reopened: the resident was not satisfied"), code=demand.tracking_code
                ),
                demand_url(demand),
            )
    return demand


def do_callback_unreachable(*, actor, demand_id: int, note: str = "") -> Demand:
    """The dispatcher called the resident back and could not reach him: recorded (the demand still awaits
    its callback) and told to the subscribers (an SMS to the resident, the 12345 platform's order)."""
    with transaction.atomic():
        demand = lock_demand(actor, demand_id)
        may = actor.is_superuser or people.acts_for_street(actor, demand.street, {"street_dispatcher"})
        may = may or people.decides_in_district(actor, demand.street)
        if not may:
            raise Forbidden("只有派单员或协调员可以回访 / Only a dispatcher or coordinator calls back")
        if demand.state != DemandState.CLOSED:
            raise Conflict(
                "该诉求不在待回访状态 / The demand is not awaiting its callback", code="illegal_transition"
            )
        audit.record(
            demand,
            "callback_unreachable",
            actor=actor,
            from_state=demand.state,
            to_state=demand.state,
            note=note,
        )
        emit_demand(events.DEMAND_CALLBACK_FAILED, demand, note=note)
    return demand
