//! Documents to JSON lines, byte-identical to serde_json's output but with gleaner's own string
//! escaper on the id, the text and metadata strings (serde_json's escaper was the larger part of
//! writing).

use serde_json::{Map, Value};

use crate::document::{Document, LineEdit, Reason};

/// Serialises a kept or removed document as one JSON line (with the trailing newline).
///
/// Byte-identical to `serde_json::to_writer` on a `{id, text, metadata, removal?, edits?}`
/// struct (a test holds it to that), but the id and text, nearly all of the bytes, go through
/// [`write_json_string`] instead of serde_json's byte-at-a-time escaper.
pub fn encode_line(
    out: &mut Vec<u8>,
    doc: &Document,
    removal: Option<&Reason>,
    edits: Option<&[LineEdit]>,
) {
    out.extend_from_slice(b"{\"id\":");
    write_json_string(out, &doc.id);
    out.extend_from_slice(b",\"text\":");
    write_json_string(out, &doc.text);
    out.extend_from_slice(b",\"metadata\":");
    write_json_object(out, &doc.metadata);
    if let Some(r) = removal {
        out.extend_from_slice(b",\"removal\":");
        serde_json::to_writer(&mut *out, r).expect("serialising to a Vec cannot fail");
    }
    if let Some(e) = edits {
        out.extend_from_slice(b",\"edits\":");
        serde_json::to_writer(&mut *out, e).expect("serialising to a Vec cannot fail");
    }
    out.extend_from_slice(b"}\n");
}

/// Appends `value` as compact JSON, byte-identical to `serde_json::to_writer`, with every
/// string through [`write_json_string`] (serde_json's escaper was the larger part of writing
/// metadata). Numbers are still formatted by serde_json.
pub fn write_json_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            serde_json::to_writer(&mut *out, n).expect("serialising to a Vec cannot fail")
        }
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                write_json_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_json_object(out, map),
    }
}

/// [`write_json_value`] for an object.
pub fn write_json_object(out: &mut Vec<u8>, map: &Map<String, Value>) {
    out.push(b'{');
    for (k, (key, value)) in map.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        write_json_string(out, key);
        out.push(b':');
        write_json_value(out, value);
    }
    out.push(b'}');
}

/// Appends `s` as a quoted JSON string, escaped exactly as serde_json escapes it: `"` and `\\`,
/// `\b \f \n \r \t`, other bytes below 0x20 as `\u00xx` (lowercase hex), nothing else.
///
/// Hand-written because serde_json looks every byte up in a table, which profiling showed as
/// ~8% of a read→normalize→write run; here clean stretches are found many bytes a step
/// ([`find_json_special`](super::scan::find_json_special)) and copied whole. No crate
/// offers a serde_json-identical escaper.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut i = 0;
    loop {
        let run = super::scan::find_json_special(&bytes[i..]);
        out.extend_from_slice(&bytes[i..i + run]);
        i += run;
        let Some(&b) = bytes.get(i) else { break };
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ],
        };
        out.extend_from_slice(escape);
        i += 1;
    }
    out.push(b'"');
}
