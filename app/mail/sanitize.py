"""Sanitizing email HTML for display, and turning HTML into readable text.

Pure functions (nh3 + the standard library's html.parser). The allow-list keeps the structure of a
message (paragraphs, lists, tables, emphasis, links) and drops everything that runs code or loads
something from the network when the message is shown: scripts, styles, event handlers, forms,
iframes, `style` attributes (CSS `url()` would load), and every `img src` except inline `data:`
images. Remote images (http, https, protocol-relative) and `cid:` references are removed, so showing
a message never tells the sender that it was opened. Links keep http(s)/mailto/tel targets only and
get `rel="noopener noreferrer"` and `target="_blank"`.
"""
from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "div",
    "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "tt", "u", "ul",
})
ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign", "scope"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "font": {"color"},
    "p": {"align"},
    "div": {"align"},
}
# Content of these is dropped together with the tag ("<script>x</script>" → "", not "x").
DROPPED_CONTENT_TAGS = frozenset({"script", "style", "title", "head", "noscript", "template", "iframe", "object",
                                  "embed", "svg", "math", "textarea", "select", "button"})
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "data"})
# Inline images are self-contained and cannot phone home; anything else in an img src is removed.
INLINE_IMAGE = re.compile(r"^data:image/(?:png|gif|jpe?g|webp);base64,[A-Za-z0-9+/=\s]*$", re.IGNORECASE)
SAFE_LINK = re.compile(r"^(?:https?:|mailto:|tel:|#)", re.IGNORECASE)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if INLINE_IMAGE.match(value.strip()) else None
    if tag == "a" and attribute == "href":
        return value if SAFE_LINK.match(value.strip()) else None
    return value


def sanitize_html(html: str) -> str:
    """The message HTML reduced to the allow-list; safe to insert into a page as-is."""
    if not html:
        return ""
    cleaned = nh3.clean(
        html, tags=set(ALLOWED_TAGS), clean_content_tags=set(DROPPED_CONTENT_TAGS), attributes={
            k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute, url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}}, strip_comments=True)
    return cleaned.strip()


# Tags that end a line, and those that also leave a blank line after them (paragraph-like).
_LINE_TAGS = frozenset({"br", "tr", "li", "div", "dt", "dd", "ul", "ol", "dl", "table", "section", "article",
                        "header", "footer", "address", "form", "fieldset", "hr", "caption", "center"})
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0
        self.cell = False  # a table cell already started on this line

    def _tail(self) -> str:
        return self.parts[-1][-2:] if self.parts else "\n\n"

    def _newline(self, blank: bool = False) -> None:
        tail = self._tail()
        if not tail.endswith("\n"):
            self.parts.append("\n")
        if blank and not self._tail().endswith("\n\n"):
            self.parts.append("\n")
        self.cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
            self.cell = False
        elif tag in _PARAGRAPH_TAGS:
            self._newline(blank=True)
            self.pre += tag == "pre"
        elif tag in _LINE_TAGS:
            self._newline()
            if tag == "li":
                self.parts.append("- ")
        elif tag in ("td", "th"):
            if self.cell:
                self.parts.append("\t")
            self.cell = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
            self.cell = False
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _PARAGRAPH_TAGS:
            self._newline(blank=True)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag in _LINE_TAGS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            self.parts.append(data)
            return
        data = re.sub(r"\s+", " ", data)
        if data == " " and self._tail().endswith(("\n", "\t", " ")):
            return  # layout whitespace between tags
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: block elements become line breaks, scripts and styles vanish.

    A table row is one line with its cells separated by a tab, so that a form rendered as a table
    ("<td>Company:</td><td>Acme</td>") still reads as a "Company: Acme" line.
    """
    if not html:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this guards against the unexpected, never raised to the caller
        return html_lib.unescape(re.sub(r"<[^>]*>", " ", html)).strip()
    text = "".join(parser.parts).replace("\xa0", " ")
    # Cells stay apart by a tab, so a table row without colons still splits into label and value;
    # after a colon the tab becomes a space ("Company: Acme").
    lines = [re.sub(r" *\t[ \t]*", "\t", re.sub(r" +", " ", line)).strip().replace(":\t", ": ")
             for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
