//! Placeholder masking before machine translation, and checking after it.
//!
//! Recognized placeholders (kept verbatim, never translated):
//! - ICU simple arguments `{name}`, `{0}` and formatted arguments `{n, number}`;
//! - mustache variables `{{var}}` (and `{{{var}}}`);
//! - printf conversions `%s`, `%d`, positional `%1$s`, with flags/width/precision, and `%%`;
//! - HTML-ish tags: opening `<a href="...">`, closing `</b>`, self-closing `<br/>`;
//! - ICU `plural`/`selectordinal`/`select`: only the literal text inside the branches is
//!   translatable. The skeleton pieces (`{count, plural, one {`, `} other {`, `}}`) and `#`
//!   inside plural branches are placeholders; placeholders nested in branches are too;
//! - text that already looks like a mask token (`__PH7__`), so it can never be confused.
//!
//! ICU apostrophe quoting is not interpreted, and a `{` that does not start one of the
//! forms above is ordinary text.

use std::collections::HashMap;

use thiserror::Error;

/// Deepest ICU plural/select nesting that is parsed; deeper input is ordinary text.
const MAX_DEPTH: usize = 8;

/// Why a translation's placeholders do not match its source.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlaceholderError {
    /// These source placeholders are absent from the translation.
    #[error("placeholders missing from the translation: {}", .0.join(", "))]
    Missing(Vec<String>),
    /// These source placeholders appear more than once in the translation.
    #[error("placeholders repeated in the translation: {}", .0.join(", "))]
    Duplicated(Vec<String>),
    /// The translation contains mask tokens that the source never had.
    #[error("unknown placeholder tokens in the translation: {}", .0.join(", "))]
    Unknown(Vec<String>),
    /// The placeholders of the translation differ from those of the source.
    #[error("placeholders differ from the source: missing [{}], unexpected [{}]", missing.join(", "), unexpected.join(", "))]
    Mismatch {
        /// In the source but not (as often) in the translation.
        missing: Vec<String>,
        /// In the translation but not (as often) in the source.
        unexpected: Vec<String>,
    },
}

/// A source string with every placeholder replaced by an opaque `__PH<n>__` token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked {
    /// The text to send to the translator.
    pub text: String,
    /// The original piece of token `n` is `pieces[n]`.
    pieces: Vec<String>,
}

impl Masked {
    /// The original placeholder pieces, indexed by token number.
    pub fn pieces(&self) -> &[String] {
        &self.pieces
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Text(String),
    /// A placeholder piece; `true` for ICU skeleton pieces.
    Piece(String, bool),
}

/// Replaces each placeholder of `source` by a token `__PH0__`, `__PH1__`, … in order.
pub fn mask(source: &str) -> Masked {
    let mut text = String::with_capacity(source.len());
    let mut pieces = Vec::new();
    for seg in segments(source) {
        match seg {
            Seg::Text(t) => text.push_str(&t),
            Seg::Piece(p, _) => {
                text.push_str(&format!("__PH{}__", pieces.len()));
                pieces.push(p);
            }
        }
    }
    Masked { text, pieces }
}

/// Puts the original pieces of `masked` back into `translated` (tokens may be reordered).
///
/// Fails if a token is missing or repeated, or if a token the source did not have appears.
pub fn unmask(translated: &str, masked: &Masked) -> Result<String, PlaceholderError> {
    let mut counts = vec![0usize; masked.pieces.len()];
    let mut unknown = Vec::new();
    let out = map_tokens(
        translated,
        |tok| {
            let known = tok[4..tok.len() - 2]
                .parse::<usize>()
                .ok()
                .filter(|n| *n < counts.len());
            match known {
                Some(n) => {
                    counts[n] += 1;
                    masked.pieces[n].clone()
                }
                None => {
                    unknown.push(tok.to_owned());
                    tok.to_owned()
                }
            }
        },
        str::to_owned,
    );
    let pick = |want: fn(usize) -> bool| -> Vec<String> {
        counts
            .iter()
            .zip(&masked.pieces)
            .filter(|(c, _)| want(**c))
            .map(|(_, p)| p.clone())
            .collect()
    };
    let missing = pick(|c| c == 0);
    if !missing.is_empty() {
        return Err(PlaceholderError::Missing(missing));
    }
    let repeated = pick(|c| c > 1);
    if !repeated.is_empty() {
        return Err(PlaceholderError::Duplicated(repeated));
    }
    if !unknown.is_empty() {
        return Err(PlaceholderError::Unknown(unknown));
    }
    Ok(out)
}

/// The placeholders of `text` as a sorted multiset. ICU skeleton pieces are given without
/// whitespace, so `{n,plural,one{` and `{n, plural, one {` compare equal.
pub fn placeholders_of(text: &str) -> Vec<String> {
    let mut out: Vec<String> = segments(text)
        .into_iter()
        .filter_map(|seg| match seg {
            Seg::Text(_) => None,
            Seg::Piece(p, false) => Some(p),
            Seg::Piece(p, true) => Some(p.chars().filter(|c| !c.is_whitespace()).collect()),
        })
        .collect();
    out.sort();
    out
}

/// Fails unless `translated` has exactly the placeholders of `source` (in any order).
pub fn check_same_placeholders(source: &str, translated: &str) -> Result<(), PlaceholderError> {
    let (a, b) = (placeholders_of(source), placeholders_of(translated));
    let (mut missing, mut unexpected) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => (i, j) = (i + 1, j + 1),
            (Some(x), Some(y)) if x > y => {
                unexpected.push(y.clone());
                j += 1;
            }
            (Some(x), _) => {
                missing.push(x.clone());
                i += 1;
            }
            (None, Some(y)) => {
                unexpected.push(y.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    if missing.is_empty() && unexpected.is_empty() {
        Ok(())
    } else {
        Err(PlaceholderError::Mismatch {
            missing,
            unexpected,
        })
    }
}

/// Rebuilds `text`, passing each `__PH<n>__` token through `on_token` and each run of other
/// text through `on_text`.
pub(crate) fn map_tokens(
    text: &str,
    mut on_token: impl FnMut(&str) -> String,
    mut on_text: impl FnMut(&str) -> String,
) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut i, mut start) = (0, 0);
    while i < text.len() {
        match token_end(text, i) {
            Some(end) => {
                if start < i {
                    out.push_str(&on_text(&text[start..i]));
                }
                out.push_str(&on_token(&text[i..end]));
                (i, start) = (end, end);
            }
            None => i += 1,
        }
    }
    if start < text.len() {
        out.push_str(&on_text(&text[start..]));
    }
    out
}

fn segments(s: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    // At top level an unmatched `}` is text, so this never fails.
    Parser {
        s,
        memo: HashMap::new(),
    }
    .parse_message(0, false, false, 0, &mut out);
    out
}

/// An argument parsed at some position: its end and its segments, or `None` if invalid.
type Parsed = Option<(usize, Vec<Seg>)>;

/// A `{` that does not start a valid argument is text, and parsing goes on after it; the
/// memo of arguments by (position, depth, in plural) keeps that backtracking polynomial.
struct Parser<'a> {
    s: &'a str,
    memo: HashMap<(usize, usize, bool), Parsed>,
}

/// Parses message text from `i`. Nested (inside a plural/select branch) it stops at the
/// unmatched `}` and returns its index (or `None` at end of input); at top level it returns
/// `s.len()`.
impl Parser<'_> {
    fn parse_message(
        &mut self,
        mut i: usize,
        plural: bool,
        nested: bool,
        depth: usize,
        out: &mut Vec<Seg>,
    ) -> Option<usize> {
        let s = self.s;
        let b = s.as_bytes();
        let mut start = i;
        let flush = |out: &mut Vec<Seg>, from: usize, to: usize| {
            if from < to {
                match out.last_mut() {
                    Some(Seg::Text(t)) => t.push_str(&s[from..to]),
                    _ => out.push(Seg::Text(s[from..to].to_owned())),
                }
            }
        };
        while i < b.len() {
            let found: Option<(usize, Vec<Seg>)> = match b[i] {
                b'}' if nested => {
                    flush(out, start, i);
                    return Some(i);
                }
                b'{' => mustache_end(s, i)
                    .map(|e| (e, vec![Seg::Piece(s[i..e].to_owned(), false)]))
                    .or_else(|| self.icu_argument(i, plural, depth)),
                b'#' if plural => Some((i + 1, vec![Seg::Piece("#".to_owned(), false)])),
                b'%' => printf_end(s, i).map(|e| (e, vec![Seg::Piece(s[i..e].to_owned(), false)])),
                b'<' => tag_end(s, i).map(|e| (e, vec![Seg::Piece(s[i..e].to_owned(), false)])),
                b'_' => token_end(s, i).map(|e| (e, vec![Seg::Piece(s[i..e].to_owned(), false)])),
                _ => None,
            };
            match found {
                Some((end, segs)) => {
                    flush(out, start, i);
                    out.extend(segs);
                    (i, start) = (end, end);
                }
                None => i += 1,
            }
        }
        flush(out, start, b.len());
        if nested { None } else { Some(b.len()) }
    }

    fn icu_argument(&mut self, i: usize, plural: bool, depth: usize) -> Parsed {
        if let Some(done) = self.memo.get(&(i, depth, plural)) {
            return done.clone();
        }
        let parsed = self.parse_argument(i, plural, depth);
        self.memo.insert((i, depth, plural), parsed.clone());
        parsed
    }

    /// `{...}` argument at `i`; returns its end and its segments (several for plural/select).
    fn parse_argument(&mut self, i: usize, plural: bool, depth: usize) -> Parsed {
        let s = self.s;
        let b = s.as_bytes();
        let name_start = skip_ws(b, i + 1);
        let name_end = take_while(b, name_start, is_ident);
        if name_end == name_start {
            return None;
        }
        let mut j = skip_ws(b, name_end);
        match b.get(j)? {
            b'}' => return Some((j + 1, vec![Seg::Piece(s[i..=j].to_owned(), false)])),
            b',' => j = skip_ws(b, j + 1),
            _ => return None,
        }
        let kind_end = take_while(b, j, |c| c.is_ascii_alphabetic());
        let kind = &s[j..kind_end];
        j = skip_ws(b, kind_end);
        if !matches!(kind, "plural" | "selectordinal" | "select") {
            // A formatted argument such as `{n, number}` or `{d, date, short}`: one piece.
            let mut level = 0usize;
            for (k, &c) in b.iter().enumerate().skip(j) {
                match c {
                    b'{' => level += 1,
                    b'}' if level == 0 => {
                        return (!kind.is_empty())
                            .then(|| (k + 1, vec![Seg::Piece(s[i..=k].to_owned(), false)]));
                    }
                    b'}' => level -= 1,
                    _ => {}
                }
            }
            return None;
        }
        if b.get(j) != Some(&b',') || depth >= MAX_DEPTH {
            return None;
        }
        j += 1;
        let inner_plural = plural || kind != "select";
        let (mut segs, mut skeleton_start, mut branches) = (Vec::new(), i, 0);
        loop {
            j = skip_ws(b, j);
            match b.get(j)? {
                b'}' if branches > 0 => {
                    segs.push(Seg::Piece(s[skeleton_start..=j].to_owned(), true));
                    return Some((j + 1, segs));
                }
                b'o' if kind != "select" && s[j..].starts_with("offset:") => {
                    let digits = skip_ws(b, j + 7);
                    j = take_while(b, digits, |c| c.is_ascii_digit());
                    if j == digits {
                        return None;
                    }
                    continue;
                }
                _ => {}
            }
            let sel = if b[j] == b'=' { j + 1 } else { j };
            let sel_end = take_while(
                b,
                sel,
                if sel > j {
                    |c: u8| c.is_ascii_digit()
                } else {
                    is_ident
                },
            );
            j = skip_ws(b, sel_end);
            if sel_end == sel || b.get(j) != Some(&b'{') {
                return None;
            }
            segs.push(Seg::Piece(s[skeleton_start..=j].to_owned(), true));
            let close = self.parse_message(j + 1, inner_plural, true, depth + 1, &mut segs)?;
            (skeleton_start, j, branches) = (close, close + 1, branches + 1);
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn take_while(b: &[u8], mut i: usize, pred: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && pred(b[i]) {
        i += 1;
    }
    i
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `{{var}}` or `{{{var}}}` at `i`.
fn mustache_end(s: &str, i: usize) -> Option<usize> {
    let rest = &s[i..];
    let (open, close) = if rest.starts_with("{{{") {
        ("{{{", "}}}")
    } else {
        ("{{", "}}")
    };
    let body = rest.strip_prefix(open)?;
    let len = body.find(close)?;
    let inner = &body[..len];
    (!inner.trim().is_empty() && !inner.contains(['{', '}']))
        .then(|| i + open.len() + len + close.len())
}

/// `%s`, `%05.2f`, `%1$s`, `%%` at `i`.
fn printf_end(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    if b.get(i + 1) == Some(&b'%') {
        return Some(i + 2);
    }
    let mut j = i + 1;
    let digits = take_while(b, j, |c| c.is_ascii_digit());
    if digits > j && b.get(digits) == Some(&b'$') {
        j = digits + 1;
    }
    j = take_while(b, j, |c| matches!(c, b'-' | b'+' | b'0' | b'#'));
    j = take_while(b, j, |c| c.is_ascii_digit());
    if b.get(j) == Some(&b'.') {
        j = take_while(b, j + 1, |c| c.is_ascii_digit());
    }
    j = take_while(b, j, |c| matches!(c, b'h' | b'l' | b'z' | b'j' | b't'));
    b.get(j)
        .filter(|c| b"sdiufFeEgGxXc@".contains(c))
        .map(|_| j + 1)
}

/// `<tag ...>`, `</tag>`, `<tag/>` at `i`.
fn tag_end(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut j = i + 1;
    if b.get(j) == Some(&b'/') {
        j += 1;
    }
    if !b.get(j)?.is_ascii_alphabetic() {
        return None;
    }
    j = take_while(b, j, |c| {
        c.is_ascii_alphanumeric() || c == b'-' || c == b':'
    });
    if !matches!(b.get(j)?, b'>' | b'/') && !b[j].is_ascii_whitespace() {
        return None;
    }
    while j < b.len() {
        match b[j] {
            b'>' => return Some(j + 1),
            b'<' => return None,
            q @ (b'"' | b'\'') => j += 1 + s[j + 1..].find(q as char)?,
            _ => {}
        }
        j += 1;
    }
    None
}

/// A mask token `__PH<digits>__` at `i`.
fn token_end(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    if !b[i..].starts_with(b"__PH") {
        return None;
    }
    let end = take_while(b, i + 4, |c| c.is_ascii_digit());
    (end > i + 4 && b[end..].starts_with(b"__")).then_some(end + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(s: &str) -> Vec<String> {
        mask(s).pieces().to_vec()
    }

    #[test]
    fn masks_simple_placeholders() {
        let m = mask("Hi {name}, you have {0} new <b>messages</b> from %s and %1$s (%d%%)<br/>");
        assert_eq!(
            m.text,
            "Hi __PH0__, you have __PH1__ new __PH2__messages__PH3__ from __PH4__ and __PH5__ (__PH6____PH7__)__PH8__"
        );
        assert_eq!(
            pieces("Hi {name}, you have {0} new <b>messages</b> from %s and %1$s (%d%%)<br/>"),
            [
                "{name}", "{0}", "<b>", "</b>", "%s", "%1$s", "%d", "%%", "<br/>"
            ]
        );
    }

    #[test]
    fn masks_mustache_tags_with_attributes_and_formatted_args() {
        assert_eq!(
            pieces(
                r#"Hello {{ user.name }}, <a href="https://x.test/?a=1&b=>">click</a> {n, number} {{{raw}}}"#
            ),
            [
                "{{ user.name }}",
                r#"<a href="https://x.test/?a=1&b=>">"#,
                "</a>",
                "{n, number}",
                "{{{raw}}}"
            ]
        );
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for s in [
            "50% off, 100%",
            "a < b and c > d",
            "{ not an argument }",
            "unclosed {name",
            "3 % s",
            "snake_case __init__ _PH1_",
        ] {
            let m = mask(s);
            assert_eq!(m.text, s, "{s}");
            assert!(m.pieces().is_empty(), "{s}");
        }
    }

    #[test]
    fn plural_keeps_skeleton_and_masks_nested() {
        let src = "{count, plural, one {# item for {name}} other {# items}}";
        let m = mask(src);
        assert_eq!(
            m.text,
            "__PH0____PH1__ item for __PH2____PH3____PH4__ items__PH5__"
        );
        assert_eq!(
            m.pieces(),
            [
                "{count, plural, one {",
                "#",
                "{name}",
                "} other {",
                "#",
                "}}"
            ]
        );
        let back = unmask(
            &m.text
                .replace(" item for ", " artículo para ")
                .replace(" items", " artículos"),
            &m,
        );
        assert_eq!(
            back.as_deref(),
            Ok("{count, plural, one {# artículo para {name}} other {# artículos}}")
        );
    }

    #[test]
    fn select_and_nested_plural() {
        let src = "{g, select, male {He} female {She} other {They}} {n, plural, offset:1 =0 {none} other {{g, select, male {his #} other {their #}}}}";
        let m = mask(src);
        assert_eq!(
            m.text,
            "__PH0__He__PH1__She__PH2__They__PH3__ __PH4__none__PH5____PH6__his __PH7____PH8__their __PH9____PH10____PH11__"
        );
        assert_eq!(m.pieces()[4], "{n, plural, offset:1 =0 {");
        assert_eq!(m.pieces()[6], "{g, select, male {");
        assert_eq!(m.pieces()[7], "#");
        assert_eq!(&m.pieces()[10..], ["}}", "}}"]);
        // `#` outside plural is text, inside select only is text too.
        assert_eq!(
            mask("{g, select, other {#1}} #2").text,
            "__PH0__#1__PH1__ #2"
        );
    }

    #[test]
    fn unmask_allows_reordering() {
        let m = mask("{a} gave {b} a book");
        assert_eq!(
            unmask("__PH1__ recibió un libro de __PH0__", &m).as_deref(),
            Ok("{b} recibió un libro de {a}")
        );
    }

    #[test]
    fn unmask_rejects_missing_duplicated_and_unknown_tokens() {
        let m = mask("Hello {name}, you have %d messages");
        assert_eq!(
            unmask("Hola __PH0__, tienes mensajes", &m),
            Err(PlaceholderError::Missing(vec!["%d".into()]))
        );
        assert_eq!(
            unmask("Hola {Nombre}, tienes __PH1__ mensajes", &m),
            Err(PlaceholderError::Missing(vec!["{name}".into()]))
        );
        assert_eq!(
            unmask("Hola __PH0__ __PH0__, __PH1__", &m),
            Err(PlaceholderError::Duplicated(vec!["{name}".into()]))
        );
        assert_eq!(
            unmask("Hola __PH0__, __PH1__ __PH2__", &m),
            Err(PlaceholderError::Unknown(vec!["__PH2__".into()]))
        );
        let err = unmask("Hola", &m).map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("placeholders missing from the translation: {name}, %d".to_owned())
        );
    }

    #[test]
    fn literal_token_text_in_source_round_trips() {
        let m = mask("keep __PH0__ and {x}");
        assert_eq!(m.text, "keep __PH0__ and __PH1__");
        assert_eq!(m.pieces(), ["__PH0__", "{x}"]);
        assert_eq!(
            unmask("garder __PH0__ et __PH1__", &m).as_deref(),
            Ok("garder __PH0__ et {x}")
        );
    }

    #[test]
    fn placeholders_of_is_sorted_multiset() {
        assert_eq!(placeholders_of("%s {b} {a} %s"), ["%s", "%s", "{a}", "{b}"]);
        assert_eq!(
            placeholders_of("{n,plural,one{#}other{# x}}"),
            placeholders_of("{n, plural, one {#} other {# x}}")
        );
    }

    #[test]
    fn check_same_placeholders_accepts_reordering_and_rejects_corruption() {
        assert_eq!(
            check_same_placeholders("{a} and <b>{c}</b>", "<b>{c}</b> y {a}"),
            Ok(())
        );
        assert_eq!(
            check_same_placeholders("Hi {name}", "Hola {Nombre}"),
            Err(PlaceholderError::Mismatch {
                missing: vec!["{name}".into()],
                unexpected: vec!["{Nombre}".into()]
            })
        );
        assert_eq!(
            check_same_placeholders("%s %s", "%s"),
            Err(PlaceholderError::Mismatch {
                missing: vec!["%s".into()],
                unexpected: vec![]
            })
        );
        assert!(
            check_same_placeholders(
                "{n, plural, one {#} other {# x}}",
                "{n, plural, one {#} other {x}}"
            )
            .is_err()
        );
        assert!(check_same_placeholders("plain", "plano <i>").is_err());
    }

    #[test]
    fn full_round_trip_through_a_corrupting_translator_is_rejected() {
        let src = "Welcome {name}! You have {count, plural, one {# task} other {# tasks}}.";
        let m = mask(src);
        // A faithful translator only rewrites the text between tokens.
        let ok = unmask(
            &m.text
                .replace("Welcome", "Bienvenido")
                .replace(" tasks", " tareas")
                .replace(" task", " tarea"),
            &m,
        );
        let ok = ok.as_deref();
        assert_eq!(
            ok,
            Ok("Bienvenido {name}! You have {count, plural, one {# tarea} other {# tareas}}.")
        );
        assert_eq!(ok.map(|t| check_same_placeholders(src, t)), Ok(Ok(())));
        // One that drops a token, or invents a placeholder, is caught.
        assert!(unmask(&m.text.replace("__PH1__", ""), &m).is_err());
        let invented = unmask(&format!("{} <b>", m.text), &m);
        assert!(
            invented
                .as_ref()
                .is_ok_and(|t| check_same_placeholders(src, t).is_err())
        );
    }

    #[test]
    fn map_tokens_handles_unicode_and_adjacent_tokens() {
        let out = map_tokens(
            "é__PH0____PH1__ü",
            |t| format!("[{t}]"),
            |x| x.to_uppercase(),
        );
        assert_eq!(out, "É[__PH0__][__PH1__]Ü");
    }

    #[test]
    fn malformed_nesting_stays_fast() {
        // Backtracking over unclosed plural/select arguments is memoized (it used to be
        // exponential: 22 levels took seconds).
        let started = std::time::Instant::now();
        let unclosed = "{a, select, x {{b} ".repeat(100);
        assert_eq!(mask(&unclosed).pieces().len(), 100);
        let invalid = "{a, select, x {".repeat(100) + &"!} ".repeat(100);
        assert_eq!(mask(&invalid).text, invalid);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}
