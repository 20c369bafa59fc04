//! A scanner for the YAML nearly every manifest is written in: block mappings and sequences,
//! one-line flow collections, plain and quoted one-line scalars, literal and folded block
//! scalars and comments. It gives the same events as the full parser, many times faster; on anything
//! else (anchors, aliases, tags, multi-line plain or quoted scalars, kept (`|+`) block scalars, tabs,
//! complex keys, document markers) it gives up and the full parser reads the document.
//! `events::tests` checks both parsers agree on every document the scanner accepts.

use super::events::{Ev, Event, Style};
use std::borrow::Cow;

/// Why the scanner gave up (the full parser then reads the document).
struct GiveUp;

type R<T> = Result<T, GiveUp>;

/// A document's events, or `None` when it is not in the scanned subset.
pub fn parse(doc: &str) -> Option<Vec<Event<'_>>> {
    let mut s = Scanner {
        lines: Vec::new(),
        cur: 0,
        out: Vec::with_capacity(doc.len() / 4),
    };
    if doc.contains(['\t', '\r']) {
        return None;
    }
    for (i, raw) in doc.split('\n').enumerate() {
        let text = raw.trim_start_matches(' ');
        let indent = raw.len() - text.len();
        if indent == 0 && (raw.starts_with("---") || raw.starts_with("...") || raw.starts_with('%'))
        {
            return None;
        }
        s.lines.push(Line {
            raw,
            indent,
            text,
            number: u32::try_from(i + 1).ok()?,
        });
    }
    s.document().ok()?;
    Some(s.out)
}

#[derive(Clone, Copy)]
struct Line<'a> {
    /// The whole line.
    raw: &'a str,
    /// Columns before `text` (0-based column of `text`).
    indent: usize,
    /// The line from its first non-space character.
    text: &'a str,
    /// 1-based line number.
    number: u32,
}

impl Line<'_> {
    /// Blank or only a comment.
    fn is_empty(&self) -> bool {
        self.text.is_empty() || self.text.starts_with('#')
    }
}

struct Scanner<'a> {
    lines: Vec<Line<'a>>,
    cur: usize,
    out: Vec<Event<'a>>,
}

fn col(c: usize) -> u32 {
    u32::try_from(c + 1).unwrap_or(u32::MAX)
}

/// Characters that may not start a plain scalar here (or that the scanner leaves alone).
fn plain_start_ok(c: u8) -> bool {
    !matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

impl<'a> Scanner<'a> {
    fn push(&mut self, ev: Ev<'a>, line: u32, column: usize) {
        self.out.push(Event {
            ev,
            line,
            column: col(column),
        });
    }

    /// The next line with content, from the cursor.
    fn peek(&mut self) -> Option<Line<'a>> {
        while let Some(l) = self.lines.get(self.cur) {
            if !l.is_empty() {
                return Some(*l);
            }
            self.cur += 1;
        }
        None
    }

    fn document(&mut self) -> R<()> {
        let Some(first) = self.peek() else {
            return Ok(()); // an empty document
        };
        self.block_node(first.indent)?;
        if self.peek().is_some() {
            return Err(GiveUp); // content after the root node
        }
        Ok(())
    }

    /// The block node at the cursor, indented at least `min`.
    fn block_node(&mut self, min: usize) -> R<()> {
        let line = self.peek().ok_or(GiveUp)?;
        if line.indent < min {
            return Err(GiveUp);
        }
        if is_seq_item(line.text) {
            return self.block_seq(line.indent, false);
        }
        if split_key(line.text)?.is_some() {
            return self.block_map(line.indent);
        }
        // A scalar or flow collection alone on its line(s).
        self.cur += 1;
        let end = self.inline_value(line, line.indent, line.text, min.checked_sub(1))?;
        if !rest_is_comment(&line.text[end..]) {
            return Err(GiveUp);
        }
        self.no_continuation(line.indent)
    }

    /// A block mapping whose keys are at column `indent`.
    fn block_map(&mut self, indent: usize) -> R<()> {
        let first = self.peek().ok_or(GiveUp)?;
        self.push(Ev::MapStart(0), first.number, indent);
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || is_seq_item(line.text) {
                return Err(GiveUp);
            }
            let (key, after) = split_key(line.text)?.ok_or(GiveUp)?;
            self.push(key, line.number, indent);
            self.cur += 1;
            let rest = line.text[after..].trim_start_matches(' ');
            if rest_is_comment(rest) {
                self.value_below(indent, line, indent + after - 1, true)?;
            } else {
                let offset = line.text.len() - rest.len();
                let end = self.inline_value(line, indent + offset, rest, Some(indent))?;
                if !rest_is_comment(&rest[end..]) {
                    return Err(GiveUp);
                }
                self.no_continuation(indent)?;
            }
        }
        self.push(Ev::MapEnd, 0, 0);
        Ok(())
    }

    /// The value of a key (or item) at column `indent` whose line ends after the indicator:
    /// a node on the lines below, or null. A key's value may be a sequence at its own column.
    fn value_below(&mut self, indent: usize, at: Line<'a>, indicator: usize, key: bool) -> R<()> {
        match self.peek() {
            Some(next) if next.indent > indent => self.block_node(indent + 1),
            Some(next) if key && next.indent == indent && is_seq_item(next.text) => {
                self.block_seq(indent, true)
            }
            _ => {
                // Null, written `~` at the indicator as the full parser does.
                let column = indicator;
                self.push(plain("~"), at.number, column);
                Ok(())
            }
        }
    }

    /// A block sequence whose dashes are at column `indent`; `indentless` when its dashes
    /// are at its key's column.
    fn block_seq(&mut self, indent: usize, indentless: bool) -> R<()> {
        // The full parser places an indentless sequence at its first item's content, others
        // at their first dash.
        let first = self.peek().ok_or(GiveUp)?;
        let content = first.text[1..].trim_start_matches(' ');
        if rest_is_comment(content) {
            return Err(GiveUp);
        }
        let column = if indentless {
            indent + (first.text.len() - content.len())
        } else {
            indent
        };
        self.push(Ev::SeqStart(0), first.number, column);
        while let Some(line) = self.peek() {
            if line.indent != indent || !is_seq_item(line.text) {
                if line.indent > indent {
                    return Err(GiveUp);
                }
                break;
            }
            let content = line.text[1..].trim_start_matches(' ');
            let column = indent + (line.text.len() - content.len());
            if rest_is_comment(content) {
                self.cur += 1;
                self.value_below(indent, line, indent, false)?;
                continue;
            }
            // The item's content is a node that starts at its own column: read it as a line
            // of its own.
            self.lines[self.cur] = Line {
                raw: line.raw,
                indent: column,
                text: content,
                number: line.number,
            };
            self.block_node(indent + 1)?;
        }
        self.push(Ev::SeqEnd, 0, 0);
        Ok(())
    }

    /// After a one-line value: no more-indented line may continue it.
    fn no_continuation(&mut self, indent: usize) -> R<()> {
        match self.peek() {
            Some(next) if next.indent > indent => Err(GiveUp),
            _ => Ok(()),
        }
    }

    /// A value that starts on `line` at column `column` with text `text`: a flow collection,
    /// a quoted or plain scalar, or a literal block scalar (whose lines follow, indented past
    /// `parent`, the column of the node holding it). Returns the length of `text` it used.
    fn inline_value(
        &mut self,
        line: Line<'a>,
        column: usize,
        text: &'a str,
        parent: Option<usize>,
    ) -> R<usize> {
        let first = *text.as_bytes().first().ok_or(GiveUp)?;
        match first {
            b'{' | b'[' => {
                let mut f = Flow {
                    text,
                    pos: 0,
                    line: line.number,
                    base: column,
                    out: &mut self.out,
                };
                f.node()?;
                Ok(f.pos)
            }
            b'"' | b'\'' => {
                let (value, end) = quoted(text)?;
                self.push(quoted_scalar(value), line.number, column);
                Ok(end)
            }
            b'|' | b'>' => {
                // The full parser places a block scalar at its first line of content.
                let (value, at, content_column) = self.literal(text, parent)?;
                self.push(quoted_scalar(value), at, content_column);
                Ok(text.len())
            }
            _ if starts_plain(text) => {
                let end = plain_end(text);
                let value = &text[..end];
                if value.contains(": ") || value.ends_with(':') {
                    return Err(GiveUp);
                }
                self.push(plain(value), line.number, column);
                Ok(end)
            }
            _ => Err(GiveUp),
        }
    }

    /// A literal or folded block scalar (`|`, `|-`, `>`, `>-`, header `text`); its lines
    /// follow, indented past `parent`.
    fn literal(&mut self, text: &str, parent: Option<usize>) -> R<(Cow<'a, str>, u32, usize)> {
        let header = text.split(" #").next().unwrap_or("").trim_end();
        let (folded, chomp) = match header {
            "|" => (false, Chomp::Clip),
            "|-" => (false, Chomp::Strip),
            ">" => (true, Chomp::Clip),
            ">-" => (true, Chomp::Strip),
            _ => return Err(GiveUp), // keep (`|+`) and indentation indicators
        };
        let mut body: Vec<&str> = Vec::new();
        let mut content_indent = None;
        let mut first_line = 0;
        let mut widest_blank = 0;
        while let Some(l) = self.lines.get(self.cur) {
            if l.text.is_empty() {
                widest_blank = widest_blank.max(l.raw.len());
                body.push("");
                self.cur += 1;
                continue;
            }
            let ci = *content_indent.get_or_insert_with(|| {
                first_line = l.number;
                l.indent
            });
            if parent.is_some_and(|p| ci <= p) || l.indent < ci {
                break;
            }
            body.push(&l.raw[ci..]);
            self.cur += 1;
        }
        let ci = match content_indent {
            Some(ci) if parent.is_none_or(|p| ci > p) => ci,
            _ => return Err(GiveUp), // an empty block scalar
        };
        if widest_blank > ci {
            return Err(GiveUp); // spaces kept on a blank line
        }
        // Blank lines after the last content line belong to the chomping, which drops them.
        while body.last() == Some(&"") {
            body.pop();
        }
        if self.cur >= self.lines.len() && self.lines.last().is_some_and(|l| !l.text.is_empty()) {
            return Err(GiveUp); // the document ends without a line break
        }
        let mut value = if folded {
            fold(&body)?
        } else {
            body.join("\n")
        };
        if !matches!(chomp, Chomp::Strip) {
            value.push('\n');
        }
        Ok((Cow::Owned(value), first_line, ci))
    }
}

/// The lines of a folded block scalar (`>`): lines joined by spaces, each blank line a line
/// break. More-indented lines, which keep their breaks, are left to the full parser.
fn fold(lines: &[&str]) -> R<String> {
    let mut out = String::new();
    let mut blanks = 0;
    for (i, l) in lines.iter().enumerate() {
        if l.is_empty() {
            blanks += 1;
            continue;
        }
        if l.starts_with(' ') {
            return Err(GiveUp);
        }
        if i > 0 {
            if blanks == 0 {
                out.push(' ');
            }
            for _ in 0..blanks {
                out.push('\n');
            }
        }
        blanks = 0;
        out.push_str(l);
    }
    Ok(out)
}

/// What a block scalar does with its final line break.
#[derive(Clone, Copy)]
enum Chomp {
    /// Keep one.
    Clip,
    /// Drop it.
    Strip,
}

fn plain(value: &str) -> Ev<'_> {
    Ev::Scalar {
        value: Cow::Borrowed(value),
        style: Style::Plain,
        anchor: 0,
        tag: None,
    }
}

fn quoted_scalar(value: Cow<'_, str>) -> Ev<'_> {
    Ev::Scalar {
        value,
        style: Style::Quoted,
        anchor: 0,
        tag: None,
    }
}

/// Whether `text` starts a plain scalar the scanner reads (`-1` and `-c` do, `- x` not).
fn starts_plain(text: &str) -> bool {
    match text.as_bytes() {
        [b'-', next, ..] => *next != b' ',
        [first, ..] => plain_start_ok(*first),
        [] => false,
    }
}

/// `- ` or a lone `-`.
fn is_seq_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ") || text.starts_with("-#")
}

/// Only a comment, or nothing.
fn rest_is_comment(rest: &str) -> bool {
    let rest = rest.trim_start_matches(' ');
    rest.is_empty() || rest.starts_with('#')
}

/// The end of a block plain scalar: before ` #` or the line's end, trailing spaces dropped.
fn plain_end(text: &str) -> usize {
    let end = text.find(" #").unwrap_or(text.len());
    text[..end].trim_end_matches(' ').len()
}

/// If the line is a mapping entry, its key event and where the text after `:` starts.
fn split_key(text: &str) -> R<Option<(Ev<'_>, usize)>> {
    let first = *text.as_bytes().first().ok_or(GiveUp)?;
    if first == b'"' || first == b'\'' {
        let (value, end) = quoted(text)?;
        let rest = &text[end..];
        let trimmed = rest.trim_start_matches(' ');
        if let Some(after) = trimmed.strip_prefix(':')
            && (after.is_empty() || after.starts_with(' '))
        {
            let at = text.len() - after.len();
            return Ok(Some((quoted_scalar(value), at)));
        }
        return Ok(None);
    }
    if first == b'?' || !plain_start_ok(first) && first != b'-' {
        return Ok(None);
    }
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && i > 0 && bytes[i - 1] == b' ' {
            return Ok(None); // a comment before any `:`
        }
        if b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            let key = text[..i].trim_end_matches(' ');
            if key.is_empty() || first == b'-' && key.len() > 1 && bytes[1] == b' ' {
                return Err(GiveUp);
            }
            return Ok(Some((plain(key), i + 1)));
        }
    }
    Ok(None)
}

/// A one-line quoted scalar at the start of `text`: its value and the length it used.
fn quoted(text: &str) -> R<(Cow<'_, str>, usize)> {
    let quote = text.as_bytes()[0];
    let body = &text[1..];
    if quote == b'\'' {
        let mut out = String::new();
        let mut rest = body;
        loop {
            let end = rest.find('\'').ok_or(GiveUp)?;
            out.push_str(&rest[..end]);
            if rest[end + 1..].starts_with('\'') {
                out.push('\'');
                rest = &rest[end + 2..];
            } else {
                let used = text.len() - rest.len() + end + 1;
                return Ok((Cow::Owned(out), used));
            }
        }
    }
    let end = body.find(['"', '\\']).ok_or(GiveUp)?;
    if body.as_bytes()[end] == b'"' {
        return Ok((Cow::Borrowed(&body[..end]), end + 2));
    }
    let mut out = String::from(&body[..end]);
    let mut chars = body[end..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((Cow::Owned(out), end + i + 2)),
            '\\' => {
                let (_, e) = chars.next().ok_or(GiveUp)?;
                let decoded = match e {
                    '0' => '\0',
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    't' => '\t',
                    'n' => '\n',
                    'v' => '\u{b}',
                    'f' => '\u{c}',
                    'r' => '\r',
                    'e' => '\u{1b}',
                    ' ' => ' ',
                    '"' => '"',
                    '/' => '/',
                    '\\' => '\\',
                    'N' => '\u{85}',
                    '_' => '\u{a0}',
                    'L' => '\u{2028}',
                    'P' => '\u{2029}',
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut code = 0u32;
                        for _ in 0..n {
                            let (_, h) = chars.next().ok_or(GiveUp)?;
                            code = code * 16 + h.to_digit(16).ok_or(GiveUp)?;
                        }
                        char::from_u32(code).ok_or(GiveUp)?
                    }
                    _ => return Err(GiveUp),
                };
                out.push(decoded);
            }
            c => out.push(c),
        }
    }
    Err(GiveUp) // the quote goes on to the next line
}

/// A one-line flow collection.
struct Flow<'t, 'a> {
    text: &'a str,
    pos: usize,
    line: u32,
    /// Column of `text`'s first character.
    base: usize,
    out: &'t mut Vec<Event<'a>>,
}

impl<'a> Flow<'_, 'a> {
    fn push(&mut self, ev: Ev<'a>, at: usize) {
        self.out.push(Event {
            ev,
            line: self.line,
            column: col(self.base + at),
        });
    }

    fn spaces(&mut self) {
        while self.text.as_bytes().get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn node(&mut self) -> R<()> {
        self.spaces();
        let start = self.pos;
        match self.peek().ok_or(GiveUp)? {
            b'{' => {
                self.push(Ev::MapStart(0), start);
                self.pos += 1;
                self.entries(b'}', true)?;
                self.push(Ev::MapEnd, self.pos);
            }
            b'[' => {
                self.push(Ev::SeqStart(0), start);
                self.pos += 1;
                self.entries(b']', false)?;
                self.push(Ev::SeqEnd, self.pos);
            }
            _ => self.scalar()?,
        }
        Ok(())
    }

    /// Entries up to `close`: `key: value` pairs for a mapping, nodes for a sequence.
    fn entries(&mut self, close: u8, map: bool) -> R<()> {
        loop {
            self.spaces();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(());
            }
            self.node()?;
            self.spaces();
            if map {
                if self.peek() != Some(b':') {
                    return Err(GiveUp);
                }
                self.pos += 1;
                if !matches!(self.peek(), Some(b' ')) {
                    return Err(GiveUp);
                }
                self.spaces();
                if matches!(self.peek(), Some(b',' | b'}')) {
                    return Err(GiveUp); // an empty value
                }
                self.node()?;
                self.spaces();
            } else if self.peek() == Some(b':') {
                return Err(GiveUp); // a single-pair mapping in a sequence
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => return Err(GiveUp),
            }
        }
    }

    fn scalar(&mut self) -> R<()> {
        let start = self.pos;
        let rest = &self.text[start..];
        let first = *rest.as_bytes().first().ok_or(GiveUp)?;
        if first == b'"' || first == b'\'' {
            let (value, used) = quoted(rest)?;
            self.push(quoted_scalar(value), start);
            self.pos += used;
            return Ok(());
        }
        if !starts_plain(rest) {
            return Err(GiveUp);
        }
        let bytes = rest.as_bytes();
        let mut end = 0;
        while end < bytes.len() {
            match bytes[end] {
                b',' | b'[' | b']' | b'{' | b'}' => break,
                b':' if matches!(bytes.get(end + 1), None | Some(b' ' | b',' | b']' | b'}')) => {
                    break;
                }
                b'#' if end > 0 && bytes[end - 1] == b' ' => return Err(GiveUp),
                _ => end += 1,
            }
        }
        let value = rest[..end].trim_end_matches(' ');
        if value.is_empty() {
            return Err(GiveUp);
        }
        self.push(plain(value), start);
        self.pos += end;
        Ok(())
    }
}
