"""Who gets which channel, and when: the subscribers, each channel's state, and its delivery.

A stream holds one Subscriptions. Frames are folded into the channel's state as they arrive;
each channel is handed to its subscribers at most once per `deliver_every` (the Coalescer), so
however fast a server sends, a subscriber is called about once a second at most.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
import logging
from typing import Any

from .channels import Channel, ChannelState
from .coalesce import Coalescer
from .errors import WhiteBitResponseError
from .stream_settings import StreamError

LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class _Subscribers[V]:
    state: ChannelState[V]
    callbacks: list[Callable[[V], None]] = field(default_factory=list)


class Subscriptions:
    """The subscribed channels, their states and callbacks, and when each is due."""

    def __init__(self, deliver_every: float, on_change: Callable[[], None]) -> None:
        """Deliver at most once per `deliver_every`; `on_change` when channels come or go."""
        self._channels: dict[Channel[Any], _Subscribers[Any]] = {}
        self._coalescer = Coalescer[Channel[Any]](deliver_every)
        self._on_change = on_change
        self._warned_refused = False
        self.deliveries = 0

    @property
    def channels(self) -> list[Channel[Any]]:
        """The subscribed channels, as a list that later changes leave alone."""
        return list(self._channels)

    @property
    def refused(self) -> int:
        """New names refused past the channels' asset caps, in all."""
        return sum(entry.state.refused for entry in self._channels.values())

    def __contains__(self, channel: object) -> bool:
        """Whether `channel` has a subscriber."""
        return channel in self._channels

    def add[V](self, channel: Channel[V], callback: Callable[[V], None]) -> Callable[[], None]:
        """Call `callback` with `channel`'s value when due; return what unsubscribes it."""
        entry = self._channels.get(channel)
        if entry is None:
            if any(known.name == channel.name for known in self._channels):
                msg = f"another definition of {channel.name} is subscribed already"
                raise ValueError(msg)
            entry = self._channels[channel] = _Subscribers(channel.make_state())
            self._on_change()
        entry.callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in entry.callbacks:
                entry.callbacks.remove(callback)
            if not entry.callbacks and self._channels.get(channel) is entry:
                del self._channels[channel]
                self._coalescer.forget(channel)
                self._on_change()

        return unsubscribe

    def snapshot(self, channel: Channel[Any], result: object, now: float) -> None:
        """Replace a channel's state with its full state; due at once after a quiet interval."""
        if (entry := self._channels.get(channel)) is None:
            return  # unsubscribed while its state was on its way
        try:
            entry.state.snapshot(result)
        except WhiteBitResponseError as err:
            raise StreamError(str(err)) from err
        self._changed(channel, entry, now)

    def update(self, channel: Channel[Any], params: object, now: float) -> None:
        """Fold one update frame's params into a channel's state."""
        if (entry := self._channels.get(channel)) is None:
            return  # unsubscribed; WhiteBIT may still have sent a frame or two
        try:
            entry.state.update(params)
        except WhiteBitResponseError as err:
            raise StreamError(str(err)) from err
        self._changed(channel, entry, now)

    def _changed(self, channel: Channel[Any], entry: _Subscribers[Any], now: float) -> None:
        if entry.state.refused and not self._warned_refused:
            self._warned_refused = True
            LOGGER.warning(
                "WhiteBIT's %s named more assets than a stream keeps; new names are refused "
                "(counted in diagnostics)",
                channel.name,
            )
        self._coalescer.touch(channel, now)

    def next_due(self) -> float | None:
        """When the next delivery is due, on the loop's clock; None when nothing is pending."""
        return self._coalescer.next_due()

    def deliver_due(self, now: float) -> None:
        """Hand each due channel's value to its subscribers; the first exception is raised."""
        failure: Exception | None = None
        for channel in self._coalescer.take_due(now):
            # Only subscribed channels are touched, and unsubscribing forgets a channel.
            entry = self._channels[channel]
            value = entry.state.take()
            self.deliveries += 1
            for callback in list(entry.callbacks):
                try:
                    callback(value)
                except Exception as err:  # noqa: BLE001 - every subscriber gets its turn
                    failure = failure or err
        if failure is not None:
            raise failure
