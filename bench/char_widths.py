"""Print the advance widths of the printable ASCII characters in Carlito (the font with Calibri's
metrics), in 1/2048 of the font size: the table ``arxl.book.guidance`` measures text with.

    python bench/char_widths.py [FONT.ttf]

Needs fontTools (pip install fonttools) and Carlito (Debian: fonts-crosextra-carlito).
"""
from __future__ import annotations

import sys
from pathlib import Path

CARLITO = Path("/usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf")


def main(argv: list[str]) -> int:
    from fontTools.ttLib import TTFont

    font = TTFont(argv[0] if argv else CARLITO)
    units, cmap, metrics = font["head"].unitsPerEm, font.getBestCmap(), font["hmtx"]
    advances = [metrics[cmap[code]][0] * 2048 // units for code in range(32, 127)]
    print(f"# {font['name'].getDebugName(4)}: ' ' to '~', in 1/2048 em")
    print(tuple(advances))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
