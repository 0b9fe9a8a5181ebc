//! Editing JSON text in place: values are located by JSON pointer with their byte ranges, and
//! edits replace, insert or remove exactly those bytes. Everything not edited (key order,
//! notes, whitespace, the spelling of numbers such as `1.20`) stays byte for byte, which a
//! parse-and-reserialize round trip cannot promise.

use std::ops::Range;

/// A parsed JSON value with the byte range it occupies in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Range<usize>,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Object(Vec<Member>),
    Array(Vec<Node>),
    Scalar,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    /// From the opening quote of the key.
    pub start: usize,
    pub value: Node,
}

/// Reads `text` into spans; it must also be valid JSON for serde (checked by the caller).
pub fn parse(text: &str) -> Result<Node, String> {
    let mut p = Reader { b: text.as_bytes(), at: 0 };
    p.ws();
    let node = p.value()?;
    p.ws();
    if p.at != p.b.len() {
        return Err(format!("trailing characters at byte {}", p.at));
    }
    Ok(node)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.at < self.b.len() && matches!(self.b[self.at], b' ' | b'\t' | b'\n' | b'\r') {
            self.at += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.b.get(self.at) != Some(&c) {
            return Err(format!("expected '{}' at byte {}", c as char, self.at));
        }
        self.at += 1;
        Ok(())
    }

    fn value(&mut self) -> Result<Node, String> {
        let start = self.at;
        let kind = match self.b.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                let mut members = Vec::new();
                self.ws();
                if self.b.get(self.at) == Some(&b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.ws();
                        let key_start = self.at;
                        let key = self.string()?;
                        self.ws();
                        self.expect(b':')?;
                        self.ws();
                        let value = self.value()?;
                        members.push(Member { key, start: key_start, value });
                        self.ws();
                        match self.b.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b'}') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(format!("expected ',' or '}}' at byte {}", self.at)),
                        }
                    }
                }
                Kind::Object(members)
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.at) == Some(&b']') {
                    self.at += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        match self.b.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b']') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(format!("expected ',' or ']' at byte {}", self.at)),
                        }
                    }
                }
                Kind::Array(items)
            }
            Some(b'"') => {
                self.string()?;
                Kind::Scalar
            }
            Some(_) => {
                while self.at < self.b.len()
                    && !matches!(self.b[self.at], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                {
                    self.at += 1;
                }
                if self.at == start {
                    return Err(format!("expected a value at byte {start}"));
                }
                Kind::Scalar
            }
            None => return Err("unexpected end of text".to_owned()),
        };
        Ok(Node { span: start..self.at, kind })
    }

    /// A string literal, returned decoded (keys are compared decoded).
    fn string(&mut self) -> Result<String, String> {
        let start = self.at;
        self.expect(b'"')?;
        while let Some(&c) = self.b.get(self.at) {
            self.at += 1;
            match c {
                b'\\' => self.at += 1,
                b'"' => {
                    let literal = std::str::from_utf8(&self.b[start..self.at]).map_err(|e| e.to_string())?;
                    return serde_json::from_str(literal).map_err(|e| e.to_string());
                }
                _ => {}
            }
        }
        Err(format!("unterminated string at byte {start}"))
    }
}

impl Node {
    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.kind {
            Kind::Object(members) => members.iter().find(|m| m.key == key),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Array(items) => items,
            _ => &[],
        }
    }
}

/// A pending change: replace `range` of the original text with `with`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub with: String,
}

/// Applies non-overlapping edits (in any order) to `text`.
pub fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    let mut out = text.to_owned();
    for e in edits {
        out.replace_range(e.range, &e.with);
    }
    out
}

/// The indentation of the line `at` is on.
pub fn indent_at(text: &str, at: usize) -> &str {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// `value` pretty-printed so that it can stand where a line indented by `indent` continues.
pub fn render_at(value: &serde_json::Value, indent: &str) -> String {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    pretty
        .lines()
        .enumerate()
        .map(|(i, l)| if i == 0 { l.to_owned() } else { format!("{indent}{l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Inserts `rendered` entries (members `"key": value` or array items) after the last entry
/// of the container `node`, separated as its last two entries are, or on new lines indented
/// one step deeper than the container when it has fewer than two. One edit, so several
/// entries keep their order.
pub fn append(text: &str, node: &Node, rendered: &[String]) -> Option<Edit> {
    let ends: Vec<(usize, usize)> = match &node.kind {
        Kind::Object(ms) => ms.iter().map(|m| (m.start, m.value.span.end)).collect(),
        Kind::Array(items) => items.iter().map(|n| (n.span.start, n.span.end)).collect(),
        Kind::Scalar => return None,
    };
    if rendered.is_empty() {
        return None;
    }
    let container_indent = indent_at(text, node.span.start);
    let (at, separator) = match ends.as_slice() {
        [] => {
            let inner = format!("\n{container_indent}  ");
            return Some(Edit {
                range: node.span.start + 1..node.span.end - 1,
                with: format!("{inner}{}\n{container_indent}", rendered.join(&format!(",{inner}"))),
            });
        }
        [.., (_, prev_end), (start, end)] => (*end, text[*prev_end..*start].to_owned()),
        [(start, end)] => (*end, format!(",\n{}", indent_at(text, *start))),
    };
    let with: String = rendered.iter().map(|r| format!("{separator}{r}")).collect();
    Some(Edit { range: at..at, with })
}

/// Removes item `i` of the array `node` with one of its separating commas.
pub fn remove_item(node: &Node, i: usize) -> Option<Edit> {
    let items = node.items();
    let item = items.get(i)?;
    let range = if i > 0 {
        items[i - 1].span.end..item.span.end
    } else if let Some(next) = items.get(1) {
        item.span.start..next.span.start
    } else {
        node.span.start + 1..node.span.end - 1
    };
    Some(Edit { range, with: String::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"a\": 1.20,\n  \"_note\": \"keep \\\"me\\\"\",\n  \"list\": [\n    {\"v\": 1},\n    {\"v\": 2}\n  ],\n  \"o\": {\"x\": true}\n}\n";

    fn root() -> Node {
        parse(TEXT.trim_end()).unwrap()
    }

    #[test]
    fn spans_point_at_the_values() {
        let r = root();
        let a = &r.member("a").unwrap().value;
        assert_eq!(&TEXT[a.span.clone()], "1.20");
        let note = &r.member("_note").unwrap();
        assert_eq!(note.key, "_note");
        assert_eq!(&TEXT[note.value.span.clone()], "\"keep \\\"me\\\"\"");
        let list = &r.member("list").unwrap().value;
        assert_eq!(&TEXT[list.items()[1].span.clone()], "{\"v\": 2}");
    }

    #[test]
    fn a_replacement_touches_nothing_else() {
        let r = root();
        let v = &r.member("list").unwrap().value.items()[0].member("v").unwrap().value;
        let out = apply(TEXT, vec![Edit { range: v.span.clone(), with: "7".into() }]);
        assert_eq!(out, TEXT.replace("{\"v\": 1}", "{\"v\": 7}"));
    }

    #[test]
    fn append_follows_the_existing_layout() {
        let r = root();
        let list = &r.member("list").unwrap().value;
        let out = apply(TEXT, vec![append(TEXT, list, &["{\"v\": 3}".into(), "{\"v\": 4}".into()]).unwrap()]);
        assert!(out.contains("    {\"v\": 2},\n    {\"v\": 3},\n    {\"v\": 4}\n  ]"), "{out}");
        let o = &r.member("o").unwrap().value;
        let out = apply(TEXT, vec![append(TEXT, o, &["\"y\": false".into()]).unwrap()]);
        assert!(out.contains("\"o\": {\"x\": true,\n  \"y\": false}"), "{out}");
        let empty = "{\"m\": []}";
        let node = parse(empty).unwrap();
        let out =
            apply(empty, vec![append(empty, &node.member("m").unwrap().value, &["1".into(), "2".into()]).unwrap()]);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), serde_json::json!({"m": [1, 2]}));
    }

    #[test]
    fn removal_keeps_the_rest_valid() {
        let r = root();
        let list = &r.member("list").unwrap().value;
        for i in 0..2 {
            let out = apply(TEXT, vec![remove_item(list, i).unwrap()]);
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(v["list"].as_array().unwrap().len(), 1, "{out}");
            assert_eq!(v["list"][0]["v"], if i == 0 { 2 } else { 1 });
            assert!(out.contains("\"a\": 1.20"), "untouched numbers keep their spelling");
        }
    }

    #[test]
    fn broken_text_is_an_error() {
        for bad in ["{\"a\": }", "[1, 2", "{\"a\" 1}", "\"open"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
