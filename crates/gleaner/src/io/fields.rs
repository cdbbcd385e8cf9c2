//! How a structured record's fields become a document's id and metadata, for every format that
//! has named fields (JSONL, Parquet): the rules that keep a field whose name the metadata already
//! uses, and an id that is neither a string nor a number, and the quirks they count. These are
//! tolerated, never silent: each is counted in [`ReadCounters`] (the run's
//! `input.skipped_by_kind`).

use serde_json::{Map, Value};

use super::ReadCounters;

/// The id given to a record without one: file name and line, stable across runs.
pub fn default_id(path: &std::path::Path, record: u64) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    format!("{name}:{record}")
}

/// What a record had that was tolerated but must not pass unnoticed; the reader counts it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecordQuirks {
    /// The id field held something other than a string, number or null (see [`id_from_value`]).
    pub id: Option<&'static str>,
    /// Top-level fields kept under a prefixed name (see [`fold_into_metadata`]).
    pub key_collisions: u32,
}

impl RecordQuirks {
    /// Adds these quirks to `counters`.
    pub fn count(&self, counters: &ReadCounters) {
        if let Some(id) = self.id {
            counters.add(id, 1);
        }
        if self.key_collisions > 0 {
            counters.add(QUIRK_KEY_COLLISION, u64::from(self.key_collisions));
        }
    }
}

/// Counted once per top-level field renamed by [`fold_into_metadata`].
pub const QUIRK_KEY_COLLISION: &str = "quirk.metadata_key_collision";

/// The prefix [`fold_into_metadata`] gives a field whose name the metadata already holds.
pub const COLLISION_PREFIX: &str = "top_level.";

/// Adds the top-level field `key` to `metadata`. When `metadata` already holds that name (dolma
/// records carry `source` both at the top level and, after some tools, inside `metadata`), the
/// metadata's own value keeps the name (it is the more specific one, and what downstream tools
/// read) and the field is kept as `top_level.<key>`, prefixed again while that too is taken.
/// Returns whether it was renamed, for the caller to count.
pub fn fold_into_metadata(metadata: &mut Map<String, Value>, key: String, value: Value) -> bool {
    match metadata.entry(key) {
        serde_json::map::Entry::Vacant(e) => {
            e.insert(value);
            false
        }
        serde_json::map::Entry::Occupied(e) => {
            let mut name = format!("{COLLISION_PREFIX}{}", e.key());
            while metadata.contains_key(&name) {
                name.insert_str(0, COLLISION_PREFIX);
            }
            metadata.insert(name, value);
            true
        }
    }
}

/// The id a record's id field gives, and the quirk to count if it was odd. Strings and numbers
/// are ids as they are; null (like no field) gives an empty id, which the reader replaces by
/// [`default_id`].
///
/// An object or an array (MongoDB's `{"$oid": …}`, a composite `[shard, n]`) still identifies
/// its record, so it becomes its compact JSON text: stable across runs (serde_json writes one
/// value one way) and as unique as the value. Rejecting instead would lose every record of such
/// an export. A boolean identifies nothing (every record would share `true`), so the record gets
/// the default id, as without an id. Both are counted (`quirk.id_serialized`, `quirk.id_boolean`).
pub fn id_from_value(value: Option<Value>) -> (String, Option<&'static str>) {
    match value {
        Some(Value::String(s)) => (s, None),
        Some(Value::Number(n)) => (n.to_string(), None),
        Some(Value::Null) | None => (String::new(), None),
        Some(Value::Bool(_)) => (String::new(), Some("quirk.id_boolean")),
        Some(v @ (Value::Array(_) | Value::Object(_))) => {
            (v.to_string(), Some("quirk.id_serialized"))
        }
    }
}
