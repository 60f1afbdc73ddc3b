"""When a channel's changes are handed to its subscribers: at most once per interval.

WhiteBIT batches its own updates at one a second; a server sending faster gains nothing, because
whatever arrives between two deliveries is folded into the channel's state and delivered as one
batch. The first change after a quiet interval is delivered at once, so a lone change is not
held back.
"""

from collections.abc import Hashable


class Coalescer[K: Hashable]:
    """Delivery times of keys (channels) with pending changes, on the event loop's clock."""

    def __init__(self, interval: float) -> None:
        """Deliver each key at most once per `interval` seconds."""
        self.interval = interval
        self._due: dict[K, float] = {}
        self._last: dict[K, float] = {}

    def touch(self, key: K, now: float) -> None:
        """`key` has a change: due now after a quiet interval, else one interval after the last."""
        if key not in self._due:
            last = self._last.get(key)
            self._due[key] = now if last is None else max(now, last + self.interval)

    def next_due(self) -> float | None:
        """When the next delivery is due; None when nothing is pending."""
        return min(self._due.values(), default=None)

    def take_due(self, now: float) -> list[K]:
        """The keys due by `now`, each then delivered: their interval starts again."""
        due = [key for key, when in self._due.items() if when <= now]
        for key in due:
            del self._due[key]
            self._last[key] = now
        return due

    def forget(self, key: K) -> None:
        """Drop `key` (unsubscribed): nothing of it is due any more."""
        self._due.pop(key, None)
        self._last.pop(key, None)
