//! Element names the extractor distinguishes, and the HTML5 categories (void, special, raw text)
//! the tree builder needs. Names outside this list (custom elements, SVG internals) become
//! [`Tag::Other`]: the extractor treats them as neutral inline containers. Also the attribute
//! names the parser keeps ([`Attr`]).

/// An element name, lower-cased.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    A,
    Abbr,
    Address,
    Article,
    Aside,
    Audio,
    B,
    Base,
    Blockquote,
    Body,
    Br,
    Button,
    Canvas,
    Caption,
    Center,
    Code,
    Dd,
    Details,
    Dialog,
    Div,
    Dl,
    Dt,
    Em,
    Embed,
    Figcaption,
    Figure,
    Font,
    Footer,
    Form,
    H1,
    H2,
    H3,
    H4,
    H5,
    H6,
    Head,
    Header,
    Hr,
    Html,
    I,
    Iframe,
    Img,
    Input,
    Label,
    Li,
    Link,
    Main,
    Map,
    Math,
    Menu,
    Meta,
    Nav,
    Noscript,
    Object,
    Ol,
    Option,
    P,
    Picture,
    Pre,
    Q,
    Rp,
    Rt,
    S,
    Script,
    Section,
    Select,
    Small,
    Source,
    Span,
    Strong,
    Style,
    Sub,
    Summary,
    Sup,
    Svg,
    Table,
    Tbody,
    Td,
    Template,
    Textarea,
    Tfoot,
    Th,
    Thead,
    Time,
    Title,
    Tr,
    U,
    Ul,
    Video,
    Wbr,
    Xmp,
    Plaintext,
    Other,
}

/// Number of [`Tag`] values (for tables indexed by tag).
pub const TAG_COUNT: usize = Tag::Other as usize + 1;

impl Tag {
    /// Looks a lower-cased element name up.
    pub fn from_lower(name: &[u8]) -> Tag {
        use Tag::*;
        match name {
            b"a" => A,
            b"abbr" => Abbr,
            b"address" => Address,
            b"article" => Article,
            b"aside" => Aside,
            b"audio" => Audio,
            b"b" => B,
            b"base" => Base,
            b"blockquote" => Blockquote,
            b"body" => Body,
            b"br" => Br,
            b"button" => Button,
            b"canvas" => Canvas,
            b"caption" => Caption,
            b"center" => Center,
            b"code" => Code,
            b"dd" => Dd,
            b"details" => Details,
            b"dialog" => Dialog,
            b"div" => Div,
            b"dl" => Dl,
            b"dt" => Dt,
            b"em" => Em,
            b"embed" => Embed,
            b"figcaption" => Figcaption,
            b"figure" => Figure,
            b"font" => Font,
            b"footer" => Footer,
            b"form" => Form,
            b"h1" => H1,
            b"h2" => H2,
            b"h3" => H3,
            b"h4" => H4,
            b"h5" => H5,
            b"h6" => H6,
            b"head" => Head,
            b"header" => Header,
            b"hr" => Hr,
            b"html" => Html,
            b"i" => I,
            b"iframe" => Iframe,
            b"img" => Img,
            b"input" => Input,
            b"label" => Label,
            b"li" => Li,
            b"link" => Link,
            b"main" => Main,
            b"map" => Map,
            b"math" => Math,
            b"menu" => Menu,
            b"meta" => Meta,
            b"nav" => Nav,
            b"noscript" => Noscript,
            b"object" => Object,
            b"ol" => Ol,
            b"option" => Option,
            b"p" => P,
            b"picture" => Picture,
            b"pre" | b"listing" => Pre,
            b"q" => Q,
            b"rp" => Rp,
            b"rt" => Rt,
            b"s" | b"strike" | b"del" => S,
            b"script" => Script,
            b"section" => Section,
            b"select" => Select,
            b"small" => Small,
            b"source" => Source,
            b"span" => Span,
            b"strong" => Strong,
            b"style" => Style,
            b"sub" => Sub,
            b"summary" => Summary,
            b"sup" => Sup,
            b"svg" => Svg,
            b"table" => Table,
            b"tbody" => Tbody,
            b"td" => Td,
            b"template" => Template,
            b"textarea" => Textarea,
            b"tfoot" => Tfoot,
            b"th" => Th,
            b"thead" => Thead,
            b"time" => Time,
            b"title" => Title,
            b"tr" => Tr,
            b"u" => U,
            b"ul" | b"dir" => Ul,
            b"video" => Video,
            b"wbr" => Wbr,
            b"xmp" => Xmp,
            b"plaintext" => Plaintext,
            _ => Other,
        }
    }

    /// Elements that never have children (HTML5 "void elements"), plus a few obsolete ones.
    pub fn is_void(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Base | Br | Embed | Hr | Img | Input | Link | Meta | Source | Wbr
        )
    }

    /// Elements whose content is raw text up to the matching end tag (script data, RAWTEXT and
    /// RCDATA states of the WHATWG tokenizer). `decode` says whether character references count.
    pub fn raw_text(self) -> Option<bool> {
        use Tag::*;
        match self {
            Script | Style | Xmp | Iframe | Noscript => Some(false),
            Title | Textarea => Some(true),
            _ => None,
        }
    }

    /// The WHATWG "special" category, reduced to the names this builder knows: an end tag for a
    /// phrasing element does not close past one of these.
    pub fn is_special(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Address
                | Article
                | Aside
                | Blockquote
                | Body
                | Button
                | Caption
                | Center
                | Dd
                | Details
                | Dialog
                | Div
                | Dl
                | Dt
                | Figcaption
                | Figure
                | Footer
                | Form
                | H1
                | H2
                | H3
                | H4
                | H5
                | H6
                | Head
                | Header
                | Html
                | Iframe
                | Li
                | Main
                | Menu
                | Nav
                | Noscript
                | Object
                | Ol
                | P
                | Pre
                | Section
                | Select
                | Summary
                | Table
                | Tbody
                | Td
                | Template
                | Textarea
                | Tfoot
                | Th
                | Thead
                | Tr
                | Ul
                | Xmp
        )
    }

    /// Scope boundaries of the WHATWG "has an element in scope" test.
    pub fn is_scope_boundary(self) -> bool {
        use Tag::*;
        matches!(self, Html | Table | Td | Th | Caption | Template | Object)
    }

    /// Boundaries of the WHATWG "has an element in button scope" test (used for `<p>` only): a
    /// `<button>` is a boundary there and nowhere else, so that `</div>` still closes a `<div>`
    /// around a `<button>` left open (otherwise the rest of the page ends up inside it).
    pub fn is_button_scope_boundary(self) -> bool {
        self == Tag::Button || self.is_scope_boundary()
    }

    /// Start tags that close an open `<p>` (WHATWG "in body" insertion mode).
    pub fn closes_p(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Address
                | Article
                | Aside
                | Blockquote
                | Center
                | Details
                | Dialog
                | Div
                | Dl
                | Dd
                | Dt
                | Figcaption
                | Figure
                | Footer
                | Form
                | H1
                | H2
                | H3
                | H4
                | H5
                | H6
                | Header
                | Hr
                | Li
                | Main
                | Menu
                | Nav
                | Ol
                | P
                | Pre
                | Section
                | Summary
                | Table
                | Ul
                | Xmp
                | Plaintext
        )
    }

    /// Headings.
    pub fn is_heading(self) -> bool {
        use Tag::*;
        matches!(self, H1 | H2 | H3 | H4 | H5 | H6)
    }

    /// Elements rendered as their own block: text on either side goes on separate lines.
    pub fn is_block(self) -> bool {
        use Tag::*;
        self.is_special()
            || matches!(
                self,
                Br | Hr | Tr | Option | Figure | Picture | Video | Audio
            )
    }

    /// Elements that may sit in `<head>` without ending it.
    pub fn is_head_content(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Meta | Link | Title | Script | Style | Base | Noscript | Template
        )
    }
}

/// The attributes the parser keeps (those that carry extraction signals); others are skipped
/// unread.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Attr {
    Class,
    Id,
    Role,
    Itemprop,
    Name,
    Property,
    Content,
    Datetime,
    Type,
    Rel,
    Hidden,
    Style,
    AriaHidden,
    Href,
    Itemtype,
    /// The language of a link's target: language switchers (see `prune`).
    Hreflang,
}

impl Attr {
    /// Looks a lower-cased attribute name up; `None` for names not kept.
    #[inline]
    pub fn from_lower(name: &[u8]) -> Option<Attr> {
        use Attr::*;
        Some(match name {
            b"class" => Class,
            b"id" => Id,
            b"role" => Role,
            b"itemprop" => Itemprop,
            b"name" => Name,
            b"property" => Property,
            b"content" => Content,
            b"datetime" => Datetime,
            b"type" => Type,
            b"rel" => Rel,
            b"hidden" => Hidden,
            b"style" => Style,
            b"aria-hidden" => AriaHidden,
            b"href" => Href,
            b"itemtype" => Itemtype,
            b"hreflang" => Hreflang,
            _ => return None,
        })
    }

    /// Looks an attribute name up as written in the page, ASCII case ignored: what
    /// [`Attr::from_lower`] gives for the lower-cased name, without copying it. Names of up to
    /// eight bytes (all kept names but `aria-hidden`) are read as one little-endian word,
    /// lower-cased at once and matched as a number: the parser meets every attribute of the page
    /// (~2,400 per WCXB dev page), and copying each name to lower-case it, then matching it byte
    /// string by byte string, was ~2.3% of extraction instructions (callgrind).
    #[inline]
    pub fn from_name(name: &[u8]) -> Option<Attr> {
        use Attr::*;
        if name.len() > 8 {
            return (name.len() == 11 && name.eq_ignore_ascii_case(b"aria-hidden"))
                .then_some(AriaHidden);
        }
        let mut word = 0u64;
        for (i, &c) in name.iter().enumerate() {
            word |= u64::from(c) << (8 * i);
        }
        Attr::from_word(word, name.len())
    }

    /// [`Attr::from_name`] for a name of `len` (at most eight) bytes read as a little-endian
    /// word, zero-padded.
    #[inline]
    pub fn from_word(word: u64, len: usize) -> Option<Attr> {
        use Attr::*;
        let attr = match ascii_lower_word(word) {
            W_CLASS => Class,
            W_ID => Id,
            W_ROLE => Role,
            W_ITEMPROP => Itemprop,
            W_NAME => Name,
            W_PROPERTY => Property,
            W_CONTENT => Content,
            W_DATETIME => Datetime,
            W_TYPE => Type,
            W_REL => Rel,
            W_HIDDEN => Hidden,
            W_STYLE => Style,
            W_HREF => Href,
            W_ITEMTYPE => Itemtype,
            W_HREFLANG => Hreflang,
            _ => return None,
        };
        // Zero padding: a name with trailing NUL bytes ("id\0") reads as the shorter name.
        (len == attr.name_len()).then_some(attr)
    }

    /// Length of the attribute's name.
    fn name_len(self) -> usize {
        use Attr::*;
        match self {
            Id => 2,
            Rel => 3,
            Role | Name | Type | Href => 4,
            Class | Style => 5,
            Hidden => 6,
            Content => 7,
            Itemprop | Property | Datetime | Itemtype | Hreflang => 8,
            AriaHidden => 11,
        }
    }

    /// This attribute's bit in an element's set of present attributes.
    #[inline]
    pub fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// `name` (at most eight bytes) as a little-endian word, zero-padded: [`Attr::from_name`]'s
/// match keys.
const fn name_word(name: &[u8]) -> u64 {
    let mut word = 0u64;
    let mut i = 0;
    while i < name.len() {
        word |= (name[i] as u64) << (8 * i);
        i += 1;
    }
    word
}

const W_CLASS: u64 = name_word(b"class");
const W_ID: u64 = name_word(b"id");
const W_ROLE: u64 = name_word(b"role");
const W_ITEMPROP: u64 = name_word(b"itemprop");
const W_NAME: u64 = name_word(b"name");
const W_PROPERTY: u64 = name_word(b"property");
const W_CONTENT: u64 = name_word(b"content");
const W_DATETIME: u64 = name_word(b"datetime");
const W_TYPE: u64 = name_word(b"type");
const W_REL: u64 = name_word(b"rel");
const W_HIDDEN: u64 = name_word(b"hidden");
const W_STYLE: u64 = name_word(b"style");
const W_HREF: u64 = name_word(b"href");
const W_ITEMTYPE: u64 = name_word(b"itemtype");
const W_HREFLANG: u64 = name_word(b"hreflang");

/// The eight bytes of `word` with ASCII `A`–`Z` lower-cased, as [`u8::to_ascii_lowercase`]
/// does byte by byte: a byte is upper-case when its low seven bits are at least `A` and below
/// `[` and its high bit is clear; adding 0x3f and 0x25 to the low seven bits sets a byte's high
/// bit exactly at those bounds, with no carry into the next byte.
fn ascii_lower_word(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = word & LOW7;
    let at_least_a = low + 0x3f3f_3f3f_3f3f_3f3f;
    let past_z = low + 0x2525_2525_2525_2525;
    let upper = at_least_a & !past_z & !word & HIGH;
    word | (upper >> 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lowercasing_matches_bytewise() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let word = (u64::from(b) << (8 * pos)) | 0x4100_5a00_6100_7a00;
                let want = u64::from_le_bytes(word.to_le_bytes().map(|c| c.to_ascii_lowercase()));
                assert_eq!(ascii_lower_word(word), want, "byte {b:#x} at {pos}");
            }
        }
    }

    #[test]
    fn names_match_as_lower_case() {
        let names = [
            "class",
            "CLASS",
            "Class",
            "id",
            "ID",
            "iD",
            "role",
            "itemprop",
            "name",
            "property",
            "content",
            "datetime",
            "Type",
            "rel",
            "hidden",
            "style",
            "aria-hidden",
            "ARIA-Hidden",
            "href",
            "itemtype",
            "hreflang",
            "HrefLang",
            "",
            "i",
            "idx",
            "id\0",
            "class\0\0",
            "data-id",
            "cl\u{c4}ss",
            "hreflangs",
            "aria-hiddem",
            "onclick",
        ];
        for name in names {
            let lower = name.to_ascii_lowercase();
            assert_eq!(
                Attr::from_name(name.as_bytes()),
                Attr::from_lower(lower.as_bytes()),
                "{name:?}"
            );
        }
    }
}
