"""The whistle part of the simulated month (see month.py): blow, report in (some late), disputes upheld or
rejected, extensions granted or refused, supporting and lead finish, verification (some rework), callback."""

from __future__ import annotations

import datetime as dt
import math

from shaobao.demo.month_steps import Later, callback


def whistle_chain(sim, demand, street, matter, t: dt.datetime, dispatcher, result) -> None:
    from shaobao.whistles import actions as wa
    from shaobao.whistles.models import ExtensionRequest, ProgressNote, Summons, SummonsRole

    rng = sim.rng
    r = rng.random()
    kind = "emergency" if r < 0.04 else "priority" if r < 0.15 else "routine"
    whistle = sim.at(
        t,
        wa.do_blow_whistle,
        actor=dispatcher,
        demand_ids=[demand.pk],
        type=kind,
        matter_code=matter.code,
        note="请相关单位按时报到",
    )
    result.whistles += 1
    sim.count(f"whistle_{kind}")
    blown = t
    summonses = list(Summons.objects.filter(whistle=whistle).select_related("unit").order_by("role", "id"))
    # Whistled work runs against the matter's limit: most finish within it, a long tail does not
    # (lognormal, median 60 % of the limit; about one in five runs over).
    finish_limit = summonses[0].finish_due - blown
    lead_done = blown + finish_limit * rng.lognormvariate(math.log(0.6), 0.6)
    active: list[tuple[Summons, dt.datetime]] = []  # (summons, reported-in time)
    for s in summonses:
        limit = s.report_in_due - blown
        roll = rng.random()
        if roll < 0.07:
            # "Not ours": dispute, then the coordinator decides one to three days later.
            t_dispute = blown + limit * rng.uniform(0.2, 0.8)
            sim.at(
                t_dispute,
                wa.do_dispute,
                actor=sim.handler(s.unit_id),
                summons_id=s.pk,
                reason="该事项不属于本单位职责范围",
            )
            sim.count("disputed")
            t_decide = t_dispute + sim.hours(30, 0.5)
            others = [u for u in sim.departments if u.pk not in {x.unit_id for x in summonses}]
            if rng.random() < 0.4 and (s.role != SummonsRole.LEAD or others):
                # Upholding the lead's dispute needs a new lead unit; a supporting one is simply withdrawn.
                reassign = rng.choice(others).code if s.role == SummonsRole.LEAD else None
                new = sim.at(
                    t_decide,
                    wa.do_arbitrate,
                    actor=sim.coordinator,
                    summons_id=s.pk,
                    decision="uphold",
                    reassign_to=reassign,
                    note="经核实异议成立",
                )
                sim.count("dispute_upheld")
                if reassign and new.pk != s.pk:
                    t_rep = t_decide + (new.report_in_due - t_decide) * rng.uniform(0.1, 0.9)
                    sim.at(t_rep, wa.do_report_in, actor=sim.handler(new.unit_id), summons_id=new.pk)
                    active.append((new, t_rep))
            else:
                sim.at(
                    t_decide,
                    wa.do_arbitrate,
                    actor=sim.coordinator,
                    summons_id=s.pk,
                    decision="reject",
                    note="属于本单位职责，请立即办理",
                )
                sim.count("dispute_rejected")
                active.append((Summons.objects.get(pk=s.pk), t_decide))
            continue
        late = roll > 0.88
        t_rep = blown + (limit * rng.uniform(1.1, 3.0) if late else limit * rng.uniform(0.05, 0.95))
        sim.at(t_rep, wa.do_report_in, actor=sim.handler(s.unit_id), summons_id=s.pk)
        sim.count("report_in_late" if late else "report_in_on_time")
        active.append((s, t_rep))

    lead = next((s for s, _t in active if s.role == SummonsRole.LEAD), None)
    if lead is None:
        return
    start_lead = max(tt for s, tt in active if s.pk == lead.pk)
    lead_done = max(lead_done, start_lead + dt.timedelta(hours=4))
    # Progress note and, when running late, an extension request (mostly granted).
    t_note = start_lead + (lead_done - start_lead) / 3
    note = sim.at(
        t_note,
        wa.do_record_progress,
        actor=sim.handler(lead.unit_id),
        summons_id=lead.pk,
        note="已到现场勘查，制定处置方案",
    )
    ProgressNote.objects.filter(pk=note.pk).update(at=t_note)
    lead.refresh_from_db()
    if lead_done > lead.finish_due and rng.random() < 0.5:
        t_ext = max(start_lead + dt.timedelta(hours=2), lead.finish_due - dt.timedelta(days=2))
        ext = sim.at(
            t_ext,
            wa.do_request_extension,
            actor=sim.handler(lead.unit_id),
            summons_id=lead.pk,
            days=rng.choice((5, 10, 15)),
            reason="涉及多个部门协调，需要更多时间",
        )
        ExtensionRequest.objects.filter(pk=ext.pk).update(requested_at=t_ext)
        grant = rng.random() < 0.75
        sim.at(
            t_ext + sim.hours(20, 0.5),
            wa.do_decide_extension,
            actor=sim.coordinator,
            extension_id=ext.pk,
            grant=grant,
            note="同意延期" if grant else "不同意延期，请按期办结",
        )
        sim.count("extension_granted" if grant else "extension_refused")

    for s, tt in active:
        if s.pk == lead.pk:
            continue
        t_fin = max(tt + dt.timedelta(hours=1), tt + (lead_done - tt) * rng.uniform(0.4, 0.95))
        lead_done = max(lead_done, t_fin + dt.timedelta(hours=1))
        sim.at(t_fin, wa.do_finish, actor=sim.handler(s.unit_id), summons_id=s.pk, note="配合部分已完成")
    sim.at(
        lead_done,
        wa.do_finish,
        actor=sim.handler(lead.unit_id),
        summons_id=lead.pk,
        note="已按要求处置完毕，现场已整改",
    )
    t = lead_done + sim.hours(20, 0.6)
    if rng.random() < 0.1:
        sim.at(
            t,
            wa.do_verify,
            actor=dispatcher,
            whistle_id=whistle.pk,
            passed=False,
            note="现场核查未整改到位，请返工",
        )
        sim.count("whistle_rework")
        t += sim.hours(96, 0.5)
        sim.at(t, wa.do_finish, actor=sim.handler(lead.unit_id), summons_id=lead.pk, note="已返工整改完毕")
        t += sim.hours(20, 0.6)
    sim.at(t, wa.do_verify, actor=dispatcher, whistle_id=whistle.pk, passed=True, note="核查通过，予以结案")
    result.closed_whistles += 1
    sim.closed.append((whistle, t))
    try:
        callback(sim, demand, t + sim.hours(30, 0.5), dispatcher)
    except Later:
        sim.count("awaiting_callback")
