"""Run the simulator: python -m simulator [--host 127.0.0.1] [--port 8800]."""

import argparse

from aiohttp import web

from .orders import DEMO_ORDER, demo_fill
from .server import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET, demo_simulator
from .subaccounts import DEMO_SUBACCOUNTS


def main() -> None:
    """Serve the demo exchange until interrupted."""
    parser = argparse.ArgumentParser(description="A local WhiteBIT simulator.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8800, help="port to listen on")
    parser.add_argument(
        "--fill-after",
        type=float,
        default=60.0,
        help="seconds after start when the demo's open order fills (negative: never)",
    )
    args = parser.parse_args()

    simulator = demo_simulator(margin=True)
    app = simulator.app()
    if args.fill_after >= 0:
        account = simulator.accounts[DEMO_KEY]
        app.on_startup.append(
            demo_fill(DEMO_KEY, account.orders, simulator.stream, args.fill_after)
        )
    print(f"WhiteBIT simulator on http://{args.host}:{args.port}")  # noqa: T201
    print(f"  demo API key:    {DEMO_KEY}")  # noqa: T201
    print(f"  demo API secret: {DEMO_SECRET}")  # noqa: T201
    print(f"  demo balances:   {DEMO_BALANCES}")  # noqa: T201
    aliases = ", ".join(str(demo["alias"]) for demo in DEMO_SUBACCOUNTS)
    print(f"  sub-accounts:    {aliases}")  # noqa: T201
    if args.fill_after >= 0:
        order = f"{DEMO_ORDER['side']} {DEMO_ORDER['amount']} {DEMO_ORDER['market']}"
        print(f"  demo order:      {order}, fills {args.fill_after:g} s after start")  # noqa: T201
    print("  control:         POST /_sim/fill, /_sim/deposit, /_sim/withdrawal", flush=True)  # noqa: T201
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
