//! One JSONL record to a [`Document`]: the hand-written fast path of [`super::scan`] first, serde_json
//! whenever it gives up, so the two never differ (the fuzz target `jsonl_record` checks it).

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::document::Document;
use crate::io::fields::{RecordQuirks, fold_into_metadata, id_from_value};

/// Parses one JSON object into a document and its quirks. Errors are `(kind, message)`.
pub fn parse_record(
    line: &[u8],
    text_field: &str,
    id_field: &str,
) -> Result<(Document, RecordQuirks), (&'static str, String)> {
    parse_record_with(line, text_field, id_field, true)
}

/// [`parse_record`] without the hand-written fast path: serde_json alone. The fuzz target
/// `jsonl_record` holds the two to the same result on every input.
#[doc(hidden)]
pub fn parse_record_serde_only(
    line: &[u8],
    text_field: &str,
    id_field: &str,
) -> Result<(Document, RecordQuirks), (&'static str, String)> {
    parse_record_with(line, text_field, id_field, false)
}

fn parse_record_with(
    line: &[u8],
    text_field: &str,
    id_field: &str,
    fast: bool,
) -> Result<(Document, RecordQuirks), (&'static str, String)> {
    // simdutf8 validates many bytes per instruction (std's validator was ~2% of a read);
    // its error carries no position, so std words the reject.
    let line = match simdutf8::basic::from_utf8(line).or_else(|_| std::str::from_utf8(line)) {
        Ok(s) => s,
        Err(e) => {
            return Err((
                "invalid_utf8",
                format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()),
            ));
        }
    };
    let scanned = fast
        .then(|| super::scan::scan_record(line, text_field, id_field))
        .flatten();
    let fields = match scanned {
        Some(fields) => fields,
        None => parse_fields_with_serde(line, text_field, id_field)?,
    };
    let text = match fields.text {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => {
            return Err((
                "missing_text",
                format!("record has no \"{text_field}\" field"),
            ));
        }
        Some(other) => {
            return Err((
                "missing_text",
                format!(
                    "field \"{text_field}\" is a {}, not a string",
                    json_type(&other)
                ),
            ));
        }
    };
    let (id, id_quirk) = id_from_value(fields.id);
    let mut quirks = RecordQuirks {
        id: id_quirk,
        key_collisions: 0,
    };
    let mut metadata = match fields.metadata {
        Some(Value::Object(m)) => m,
        Some(Value::Null) | None => Map::new(),
        Some(other) => {
            let mut m = Map::new();
            m.insert("metadata".into(), other);
            m
        }
    };
    for (k, v) in fields.extra {
        if fold_into_metadata(&mut metadata, k, v) {
            quirks.key_collisions += 1;
        }
    }
    let doc = Document {
        id,
        text,
        metadata,
        ..Default::default()
    };
    Ok((doc, quirks))
}

/// The reference parse of a record's fields (and the only one that words errors).
fn parse_fields_with_serde(
    line: &str,
    text_field: &str,
    id_field: &str,
) -> Result<RecordFields, (&'static str, String)> {
    // Parsing from the validated `str` spares serde_json validating every string again.
    let mut de = serde_json::Deserializer::from_str(line);
    let fields = RecordSeed {
        text_field,
        id_field,
    }
    .deserialize(&mut de)
    .map_err(|e| ("malformed_json", format!("not a JSON object: {e}")))?;
    de.end().map_err(|e| {
        (
            "malformed_json",
            format!("trailing data after the JSON object: {e}"),
        )
    })?;
    Ok(fields)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The top-level fields of a record, as found: by [`super::jsonl_scan`] or by serde_json.
#[derive(Default, Debug)]
pub(super) struct RecordFields {
    pub(super) id: Option<Value>,
    pub(super) text: Option<Value>,
    pub(super) metadata: Option<Value>,
    /// Other top-level fields, in input order (folded into the metadata).
    pub(super) extra: Vec<(String, Value)>,
}

/// Pulls the configured id/text fields out of the object in one pass, without building an
/// intermediate `Value` for the whole record (the text is most of its bytes).
struct RecordSeed<'a> {
    text_field: &'a str,
    id_field: &'a str,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = RecordFields;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RecordFields, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = RecordFields;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecordFields, A::Error> {
        let mut out = RecordFields::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.text_field {
                out.text = Some(map.next_value()?);
            } else if key == self.id_field {
                out.id = Some(map.next_value()?);
            } else if key == "metadata" {
                out.metadata = Some(map.next_value()?);
            } else if key.is_empty() {
                map.next_value::<IgnoredAny>()?;
            } else {
                out.extra.push((key.into_owned(), map.next_value()?));
            }
        }
        Ok(out)
    }
}
