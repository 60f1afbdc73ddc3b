"""One Home Assistant stand-in polling WhiteBIT: a process of its own, with its own clock.

`python tests/nonce_worker.py URL KEY SECRET CLOCK_OFFSET POLLS INTERVAL START` polls the main
balance with the integration's real client, its clock CLOCK_OFFSET seconds off, at START (real
seconds since the epoch) and every INTERVAL after, and prints one JSON list: "ok" or the error's
class name per poll. Used by tests/test_hostile.py to run two instances
sharing a key, and restarts with a stepped clock, as separate processes.
"""

import asyncio
import json
import math
import sys
import time

from aiohttp import ClientSession

from custom_components.whitebit.pywhitebit.client import WhiteBitClient
from custom_components.whitebit.pywhitebit.errors import WhiteBitError


async def main() -> None:
    """Poll, and report each outcome."""
    url, key, secret = sys.argv[1:4]
    offset, polls, interval = float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    start = float(sys.argv[7])
    outcomes: list[str] = []
    async with ClientSession() as session:
        client = WhiteBitClient(session, key, secret, url, clock=lambda: time.time() + offset)
        slot = start
        for _ in range(polls):
            # Late (a slow start)? Skip to the next slot rather than catch up in a burst, so the
            # phase between two workers holds.
            if slot < (now := time.time()):
                slot += math.ceil((now - slot) / interval) * interval
            await asyncio.sleep(slot - time.time())
            slot += interval
            try:
                await client.main_balances()
                outcomes.append("ok")
            except WhiteBitError as err:
                outcomes.append(type(err).__name__)
    print(json.dumps(outcomes))  # noqa: T201 - the test reads stdout


if __name__ == "__main__":
    asyncio.run(main())
