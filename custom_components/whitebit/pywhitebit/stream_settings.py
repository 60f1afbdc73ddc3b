"""The stream's timing, bounds and status: what a caller may tune, and what it can read back."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import random
from typing import Final

from .transport import MAX_ANSWER_BYTES


@dataclass(frozen=True, slots=True)
class StreamTiming:
    """WhiteBIT's intervals; tests scale them down."""

    # WhiteBIT closes a connection 60 s after the client's last message.
    ping_interval: float = 50.0
    # WhiteBIT's advice: reconnect when no pong came within 10 s of a ping.
    pong_timeout: float = 10.0
    # For the handshake and each answer to a request.
    reply_timeout: float = 10.0
    backoff_first: float = 1.0
    backoff_max: float = 300.0
    # A connection that stayed up this long was not a failed attempt: the next wait starts small.
    stable_after: float = 60.0
    # A channel is delivered at most once per this many seconds (WhiteBIT batches at 1 s).
    deliver_every: float = 1.0

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before attempt `attempt` (0 first): doubling, up to backoff_max.

        Jittered between half and all of that, so entries that lost WhiteBIT together do not
        come back together; the first waits also keep token requests under WhiteBIT's 10 a
        minute.
        """
        ceiling = min(self.backoff_max, self.backoff_first * 2.0 ** min(attempt, 16))
        return ceiling * (0.5 + rand() / 2)


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """What a server may send on one connection before the connection is ended as a fault.

    WhiteBIT sends a balance update a second per channel, a margin one every 1.5 s, and a frame
    per deal or order: a few frames a second for a busy account. The bounds are two orders of
    magnitude above that, and far below what costs Home Assistant more than a few percent of a
    core. Measured on loopback (scripts/bench): reading and folding a one-asset update costs
    about 30 us, a 100-asset one 250 us, a 1,000-asset one 1.5 ms (about 30 ns a byte); so 500
    small frames a second cost under 2 % of a core, and 1.6 MB a second about 5 %. Ending the
    connection loses nothing: the next one, after the backoff, starts from WhiteBIT's full state.
    """

    # The largest frame read (a full state of ~1,000 assets is about 60 KB).
    max_frame_bytes: int = MAX_ANSWER_BYTES
    # Frames and bytes are counted over windows of this many seconds.
    window: float = 10.0
    # 500 frames a second, sustained over the window.
    max_frames: int = 5_000
    # 1.6 MB a second: a full state of 1,000 assets 27 times a second.
    max_bytes: int = 16 * 1024 * 1024


# The defaults every stream starts from; read when a stream is made, so tests can swap them.
TIMING: StreamTiming = StreamTiming()
LIMITS: StreamLimits = StreamLimits()


class StreamState(StrEnum):
    """Where the stream is; shown in diagnostics."""

    # Not started yet, or cancelled.
    STOPPED = "stopped"
    CONNECTING = "connecting"
    # Authorised, every channel's state taken and subscribed.
    CONNECTED = "connected"
    # Between attempts, after a fault.
    WAITING = "waiting"
    # The two that end it: WhiteBIT refused the key or its WebSocket permission.
    NO_PERMISSION = "no_permission"
    AUTH_FAILED = "auth_failed"


FINAL_STATES: Final = frozenset({StreamState.NO_PERMISSION, StreamState.AUTH_FAILED})


class StreamError(Exception):
    """The connection ended, or the server sent what WhiteBIT would not."""


@dataclass(slots=True)
class StreamStatus:
    """What diagnostics show: no token, no frame, no amount."""

    state: StreamState = StreamState.STOPPED
    # Connections lost or refused since the first attempt.
    reconnects: int = 0
    # Faults of any kind, a subscriber's own exceptions included.
    errors: int = 0
    # The last fault, escaped and bounded: its type and message.
    last_error: str | None = None
    connected_since: float | None = None
    last_message: float | None = None
    frames: int = 0
    deliveries: int = 0
    # New asset names refused past a channel's asset cap.
    refused_names: int = 0
