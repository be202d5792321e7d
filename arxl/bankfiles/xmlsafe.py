"""Safe XML for bank files: defusedxml's parser (no DTDs, no entity expansion, no network),
with the source line of each element kept so a problem can name its line."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError


class BadXml(ValueError):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


class _LineElement(ET.Element):
    sourceline: int = 0


class _LineBuilder(ET.TreeBuilder):
    def __init__(self):
        super().__init__(element_factory=_LineElement)
        self.expat = None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        element.sourceline = self.expat.CurrentLineNumber
        return element


def parse_xml(data: bytes) -> ET.Element:
    """The root element of ``data``; raises ``BadXml`` for unreadable or unsafe XML."""
    builder = _LineBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        return parser.close()
    except ParseError as exc:
        raise BadXml(f"not well-formed XML ({exc})", exc.position[0] if exc.position else None) from exc
    except DefusedXmlException as exc:
        raise BadXml(f"XML with a DTD or entities, refused for safety ({type(exc).__name__})",
                     builder.expat.CurrentLineNumber) from exc


def line_of(element: ET.Element) -> int:
    return getattr(element, "sourceline", 0)
