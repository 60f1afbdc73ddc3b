"""Signing: the documented vector, nonces never reused, and instances sharing a key."""

import asyncio
import json
from pathlib import Path
import sys
import threading
import time

import pytest

from custom_components.whitebit.pywhitebit.signing import (
    _RecentNonces,
    encode_body,
    key_fingerprint,
    sign,
)
from simulator import DEMO_KEY, DEMO_SECRET, WhiteBitSimulator

ROOT = Path(__file__).resolve().parents[2]


def test_signature_matches_the_documented_vector() -> None:
    """The issue's vector: the exact body bytes, payload and signature."""
    body = encode_body("/api/v4/trade-account/balance", 1700000000000)
    assert body == (
        b'{"request":"/api/v4/trade-account/balance","nonce":1700000000000,"nonceWindow":true}'
    )
    payload, signature = sign("secret", body)
    assert payload == (
        "eyJyZXF1ZXN0IjoiL2FwaS92NC90cmFkZS1hY2NvdW50L2JhbGFuY2UiLCJub25jZSI6MTcwMDAwMDAwMDAwMC"
        "wibm9uY2VXaW5kb3ciOnRydWV9"
    )
    assert signature == (
        "2ac01358d26414ea938ab2cde3815535ac18e07c8cbe9d386e2b1cdb02e8ebfa"
        "8e3806101dc9a77e532fc6f0fd9c72b0b3e0a7b57f6cdce2c2d827267d54d04a"
    )


def test_nonces_follow_the_clock_and_never_repeat_within_the_window() -> None:
    """The clock's reading, or the next free millisecond: unique within WhiteBIT's ±5 s window.

    A clock that steps back is followed, not outrun: following a stale, far-ahead nonce would
    push every later one out of the window for as long as the clock had been wrong.
    """
    nonces = _RecentNonces()
    times = [1_000_000, 1_000_000, 999_000, 1_000_500, 2_000_000, 1_000_000, 1_000_000]
    issued = [nonces.next("key", now) for now in times]
    assert issued == [1_000_000, 1_000_001, 999_000, 1_000_500, 2_000_000, 1_000_002, 1_000_003]


def test_nonces_are_per_key() -> None:
    """Another key has its own sequence and does not push this key's forward."""
    nonces = _RecentNonces()
    assert [nonces.next("a", 5000), nonces.next("b", 5000), nonces.next("a", 5000)] == [
        5000,
        5000,
        5001,
    ]


def test_nonces_are_unique_across_threads() -> None:
    """The registry is shared process-wide, so it must hold under threads too."""
    nonces = _RecentNonces()
    issued: list[list[int]] = [[] for _ in range(4)]

    def take(out: list[int]) -> None:
        out.extend(nonces.next("key", 1000) for _ in range(60))

    threads = [threading.Thread(target=take, args=(out,)) for out in issued]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [nonce for out in issued for nonce in out]
    # 240 in one millisecond: more than a poll signs in minutes, and every one different.
    assert len(set(everything)) == 240


def test_key_fingerprint_hides_the_key() -> None:
    """The fingerprint is stable and does not contain the key."""
    assert key_fingerprint(DEMO_KEY) == key_fingerprint(DEMO_KEY)
    assert DEMO_KEY not in key_fingerprint(DEMO_KEY)
    assert key_fingerprint(DEMO_KEY) != key_fingerprint(DEMO_KEY + "x")


async def _worker(
    url: str, offset: float, polls: int, interval: float, start: float | None = None
) -> list[str]:
    """Run tests/nonce_worker.py: a separate process polling with its own clock."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "tests" / "nonce_worker.py"),
        url,
        DEMO_KEY,
        DEMO_SECRET,
        str(offset),
        str(polls),
        str(interval),
        str(start or time.time()),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PYTHONPATH": str(ROOT)},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()[-2000:]
    return json.loads(stdout)


@pytest.mark.parametrize("slow", [0.0, 1.5])
async def test_two_instances_sharing_a_key_both_keep_working(
    sim_url: str, simulator: WhiteBitSimulator, slow: float
) -> None:
    """Two processes, one key, polls interleaved 0.1 s apart (one clock 1.5 s slow): all taken.

    With a strictly rising nonce, the instance with the lower clock was refused every time.
    What remains possible is two processes signing the very same millisecond (of their own
    clocks): WhiteBIT's nonces are milliseconds, so that one request gets a 429 and the poll
    comes again 10 s later. The schedule here (every 0.25 s) never lands on the other's
    millisecond, on purpose; at 0.2 s with the 1.5 s offset it does, on the eighth poll.
    """
    start = time.time() + 2  # both processes started and ready
    first, second = await asyncio.gather(
        _worker(sim_url, 0.0, 10, 0.25, start), _worker(sim_url, -slow, 10, 0.25, start + 0.1)
    )
    assert first == second == ["ok"] * 10
    assert simulator.stats.statuses == {200: 20}


@pytest.mark.parametrize("hours", [1, 24])
async def test_a_restart_after_the_clock_is_put_back_works_at_once(
    sim_url: str, simulator: WhiteBitSimulator, hours: int
) -> None:
    """A process with its clock an hour (a day) ahead, then a restart with the clock put right.

    Each first poll succeeds: the wrong clock is corrected from WhiteBIT's Date header (one
    refused request, then the same call succeeds), and the corrected one needs nothing.
    """
    assert await _worker(sim_url, hours * 3600.0, 3, 0.05) == ["ok"] * 3
    assert await _worker(sim_url, 0.0, 3, 0.05) == ["ok"] * 3
    assert simulator.stats.statuses == {422: 1, 200: 6}
