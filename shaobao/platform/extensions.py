"""Hooks for the apps above the platform (installed from their AppConfig.ready()).

- `add_sent_hook(fn)`: `fn(broadcast, actor, options)` runs inside `do_send_broadcast`'s transaction after the
  broadcast is written (an error rolls the broadcast back); `options` are the sender's extra choices (the
  board form's checkboxes, by name).
- `add_detail_link(fn)`: `fn(user, broadcast)` returns (label, url) or None; the broadcast's page lists them.
- `send_options()`: the extra checkboxes the board's form offers, as (name, label) pairs.
"""

from __future__ import annotations

from collections.abc import Callable

_sent_hooks: list[Callable] = []
_detail_links: list[Callable] = []
_send_options: list[tuple[str, object]] = []


def add_sent_hook(fn: Callable, option: tuple[str, object] | None = None) -> None:
    if fn not in _sent_hooks:
        _sent_hooks.append(fn)
    if option is not None and option not in _send_options:
        _send_options.append(option)


def add_detail_link(fn: Callable) -> None:
    if fn not in _detail_links:
        _detail_links.append(fn)


def send_options() -> list[tuple[str, object]]:
    return list(_send_options)


def run_sent_hooks(broadcast, actor, options: dict) -> None:
    for fn in _sent_hooks:
        fn(broadcast, actor, options)


def detail_links(user, broadcast) -> list[tuple[str, str]]:
    return [link for fn in _detail_links if (link := fn(user, broadcast))]
