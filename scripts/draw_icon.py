"""Draw custom_components/whitebit/brand/icon.png: a stylised W above a balance bar.

Our own drawing, not WhiteBIT's logo. Run with the dev environment's Python.
"""

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
SCALE = 4  # draw large and downsample, for smooth edges
OUT = Path(__file__).parent.parent / "custom_components" / "whitebit" / "brand" / "icon.png"


def main() -> None:
    """Draw and save the icon."""
    s = SIZE * SCALE
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, s - 1, s - 1), radius=56 * SCALE, fill=(22, 27, 38, 255))
    w = [(52, 70), (88, 178), (128, 104), (168, 178), (204, 70)]
    draw.line(
        [(x * SCALE, y * SCALE) for x, y in w],
        fill=(255, 255, 255, 255),
        width=26 * SCALE,
        joint="curve",
    )
    for x, y in (w[0], w[-1]):
        r = 13 * SCALE
        draw.ellipse((x * SCALE - r, y * SCALE - r, x * SCALE + r, y * SCALE + r), fill="white")
    draw.rounded_rectangle(
        (52 * SCALE, 204 * SCALE, 204 * SCALE, 220 * SCALE),
        radius=8 * SCALE,
        fill=(0, 200, 140, 255),
    )
    OUT.parent.mkdir(exist_ok=True)
    image.resize((SIZE, SIZE), Image.Resampling.LANCZOS).save(OUT, optimize=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
