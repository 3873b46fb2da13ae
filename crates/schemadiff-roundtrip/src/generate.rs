//! The generator: a seed → two schemas, a mapping file and rows for the `from` database.
//!
//! It builds the `from` schema in a small intermediate form where every table and column has a
//! stable id, derives `to` by random changes, then writes both as model → DSL text
//! (`print_schema`), the mapping file (TOML) and the rows (`INSERT`s). Because ids survive
//! renames, the rows can honour the constraints of both sides (a column that becomes unique holds
//! distinct values, a column that gains a foreign key holds existing parent ids, a text column
//! that becomes an enum holds legacy spellings the mapping covers).
//!
//! What it generates and what it does not is listed in docs/testing.md ("Random round
//! trips"); each shape it avoids is named with its reason where it is avoided.

use crate::Rng;
use schemadiff_model::{
    Column, ColumnType, DefaultValue, Enum, ForeignKey, Index, IndexColumn, IndexMethod,
    PrimaryKey, QualifiedName, ReferentialAction, Schema, SortOrder, Table, constraint_name,
};
use std::collections::{BTreeMap, BTreeSet};

/// One generated round trip.
#[derive(Debug, Clone)]
pub struct Case {
    /// The seed it was made from.
    pub seed: u64,
    /// The `from` schema as DSL text.
    pub from: String,
    /// The `to` schema as DSL text.
    pub to: String,
    /// The mapping file (TOML), possibly empty.
    pub mapping: String,
    /// `INSERT` statements for a database created from `from`.
    pub rows: String,
    /// Hazard codes the generated changes are expected to raise and that the test allows.
    pub allowed_hazards: Vec<String>,
    /// The `from` model as built, before printing (print → load must give it back).
    pub from_model: Schema,
    /// The `to` model as built.
    pub to_model: Schema,
    /// One line per generated change, for failure messages.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone)]
struct GEnum {
    name: String,
    values: Vec<String>,
}

#[derive(Debug, Clone)]
struct GCol {
    uid: u32,
    name: String,
    ty: ColumnType,
    nullable: bool,
    default: Option<DefaultValue>,
}

#[derive(Debug, Clone, PartialEq)]
struct GIndex {
    cols: Vec<u32>,
    unique: bool,
    /// The first column sorts descending (B-tree only).
    desc: bool,
    method: IndexMethod,
    /// Operator class of the first column (`jsonb_path_ops` for GIN).
    opclass: Option<String>,
}

impl GIndex {
    fn btree(cols: Vec<u32>, unique: bool) -> GIndex {
        GIndex {
            cols,
            unique,
            desc: false,
            method: IndexMethod::BTree,
            opclass: None,
        }
    }
}

#[derive(Debug, Clone)]
struct GFk {
    col: u32,
    parent: u32,
    on_delete: ReferentialAction,
    on_update: ReferentialAction,
}

#[derive(Debug, Clone)]
struct GTable {
    uid: u32,
    name: String,
    cols: Vec<GCol>,
    indexes: Vec<GIndex>,
    fks: Vec<GFk>,
}

impl GTable {
    fn col(&self, uid: u32) -> Option<&GCol> {
        self.cols.iter().find(|c| c.uid == uid)
    }
    fn col_mut(&mut self, uid: u32) -> Option<&mut GCol> {
        self.cols.iter_mut().find(|c| c.uid == uid)
    }
    fn has_col_name(&self, name: &str) -> bool {
        self.cols.iter().any(|c| c.name == name)
    }
    /// True when the column is part of an index or a foreign key (its type stays put).
    fn constrained(&self, uid: u32) -> bool {
        self.indexes.iter().any(|i| i.cols.contains(&uid)) || self.fks.iter().any(|f| f.col == uid)
    }
}

#[derive(Debug, Clone, Default)]
struct GSchema {
    enums: Vec<GEnum>,
    tables: Vec<GTable>,
}

impl GSchema {
    fn table(&self, uid: u32) -> Option<&GTable> {
        self.tables.iter().find(|t| t.uid == uid)
    }
    fn enum_values(&self, name: &str) -> Option<&[String]> {
        self.enums
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.values.as_slice())
    }
    fn enum_used(&self, name: &str) -> bool {
        self.tables.iter().any(|t| {
            t.cols
                .iter()
                .any(|c| c.ty.enum_name().is_some_and(|n| n.name == name))
        })
    }
}

/// How the rows of a `from` column must be generated so that both sides' constraints hold.
#[derive(Debug, Clone)]
enum Role {
    /// Distinct values (unique on one side).
    Unique,
    /// Ids of the parent table (a foreign key on one side), or NULL.
    Ref(u32),
    /// Text that becomes an enum: name-match spellings of these values, plus these explicit
    /// legacy keys.
    Legacy {
        values: Vec<String>,
        explicit: Vec<String>,
    },
    /// Text that becomes JSON; only valid JSON when strict.
    Json { strict: bool },
}

const TABLE_NAMES: &[&str] = &[
    "User",
    "Order",
    "Group",
    "Account",
    "Item",
    "Tag",
    "Invoice",
    "Campaign",
    "Event",
    "Note",
    "Project",
    "Task",
    "Ledger",
    "Customer",
    "Shipment",
    "Review",
    "order item",
];
const COLUMN_NAMES: &[&str] = &[
    "name",
    "title",
    "status",
    "kind",
    "amount",
    "createdAt",
    "isActive",
    "note",
    "score",
    "payload",
    "code",
    "label",
    "color",
    "priority",
    "total",
    "email",
    "ratio",
    "order",
    "select",
    "group",
    "userName",
    "startsOn",
    "address",
    "tags",
    "counts",
    "level",
    "source",
    "value",
    "display name",
    "e-mail",
];
const ENUM_NAMES: &[&str] = &["Status", "Color", "Platform", "Priority", "Stage", "Tier"];
const ENUM_VALUES: &[&str] = &[
    "RED",
    "GREEN",
    "BLUE",
    "GOOGLE_ADS",
    "META",
    "IN_PROGRESS",
    "DONE",
    "OPEN",
    "CLOSED",
    "LOW",
    "HIGH",
    "TIKTOK",
    "ARCHIVED",
    "V2",
    "in review",
    "on-hold",
];
/// Legacy keys for explicit mapping entries (odd spellings on purpose: quotes, backslash,
/// empty text, non-ASCII).
const LEGACY_KEYS: &[&str] = &[
    "legacy",
    "n/a",
    "",
    "Other (old)",
    "x-1",
    "Ünknown",
    "O'Reilly",
    "back\\slash",
    "tab\there",
];
const TEXTS: &[&str] = &[
    "alpha",
    "O'Brien",
    "back\\slash",
    "ünïcödé ✓",
    "",
    "with  spaces ",
    "line\nbreak",
    "%_wild",
    "\"quoted\"",
];
/// Text for String → Json columns: (text, valid JSON?).
const JSON_TEXTS: &[(&str, bool)] = &[
    ("{\"a\": 1}", true),
    ("[1,2,3]", true),
    ("  {\"spaced\" :  [true, null] }  ", true),
    ("42", true),
    ("-1.50", true),
    ("true", true),
    ("null", true),
    ("\"quoted\"", true),
    ("{\"b\": {\"c\": \"d\"}, \"a\": []}", true),
    ("plain text", false),
    ("", false),
    ("{\"broken\": ", false),
    ("O'Brien", false),
    ("[1,2", false),
];
const ACTIONS: &[ReferentialAction] = &[
    ReferentialAction::Cascade,
    ReferentialAction::Restrict,
    ReferentialAction::NoAction,
    ReferentialAction::SetNull,
    ReferentialAction::SetDefault,
];

struct Gen {
    rng: Rng,
    uid: u32,
    from: GSchema,
    to: GSchema,
    roles: BTreeMap<u32, Role>,
    allowed: BTreeSet<String>,
    changes: Vec<String>,
    /// `[values]`: (table uid, column uid) → legacy → value.
    values: BTreeMap<(u32, u32), BTreeMap<String, String>>,
    /// `[fill]`: (table uid, column uid) → value.
    fill: BTreeMap<(u32, u32), String>,
    /// `[json] strict_columns`: (table uid, column uid).
    strict: BTreeSet<(u32, u32)>,
    /// Enum values removed: enum name → removed value → replacement.
    removed: BTreeMap<String, BTreeMap<String, String>>,
}

/// The case for `seed`.
pub fn generate(seed: u64) -> Case {
    let mut g = Gen {
        rng: Rng::new(seed),
        uid: 0,
        from: GSchema::default(),
        to: GSchema::default(),
        roles: BTreeMap::new(),
        allowed: BTreeSet::new(),
        changes: Vec::new(),
        values: BTreeMap::new(),
        fill: BTreeMap::new(),
        strict: BTreeSet::new(),
        removed: BTreeMap::new(),
    };
    g.build_from();
    g.to = g.from.clone();
    g.mutate_enums();
    g.mutate_tables();
    g.mutate_columns();
    g.mutate_indexes_and_fks();
    g.finish_enum_removals();
    g.prune();
    let rows = g.rows();
    let from_model = to_model(&g.from);
    let to_model_ = to_model(&g.to);
    Case {
        seed,
        from: schemadiff_dsl::print_schema(&from_model),
        to: schemadiff_dsl::print_schema(&to_model_),
        mapping: g.mapping_text(),
        rows,
        allowed_hazards: g.allowed.iter().cloned().collect(),
        from_model,
        to_model: to_model_,
        changes: g.changes,
    }
}

fn is_unique_eligible(ty: &ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::Text
            | ColumnType::VarChar(_)
            | ColumnType::Integer
            | ColumnType::BigInt
            | ColumnType::Uuid
    )
}

fn is_index_eligible(ty: &ColumnType) -> bool {
    is_unique_eligible(ty)
        || matches!(
            ty,
            ColumnType::Boolean
                | ColumnType::SmallInt
                | ColumnType::Date
                | ColumnType::Timestamp(_)
                | ColumnType::Decimal(_)
                | ColumnType::Enum(_)
        )
}

impl Gen {
    fn next_uid(&mut self) -> u32 {
        self.uid += 1;
        self.uid
    }

    fn note(&mut self, s: String) {
        self.changes.push(s);
    }

    fn unused_table_name(&mut self) -> String {
        let used: BTreeSet<String> = self
            .from
            .tables
            .iter()
            .chain(&self.to.tables)
            .map(|t| t.name.clone())
            .collect();
        let free: Vec<&str> = TABLE_NAMES
            .iter()
            .copied()
            .filter(|n| !used.contains(*n))
            .collect();
        if free.is_empty() {
            format!("Extra{}", self.next_uid())
        } else {
            self.rng.pick(&free).to_string()
        }
    }

    fn unused_column_name(&mut self, a: &GTable, b: Option<&GTable>) -> String {
        let free: Vec<&str> = COLUMN_NAMES
            .iter()
            .copied()
            .filter(|n| !a.has_col_name(n) && !b.is_some_and(|b| b.has_col_name(n)))
            .collect();
        if free.is_empty() {
            format!("c{}", self.next_uid())
        } else {
            self.rng.pick(&free).to_string()
        }
    }

    /// A random column type; enums from `enums`.
    fn random_type(&mut self, enums: &[GEnum]) -> ColumnType {
        let n = if enums.is_empty() { 27 } else { 31 };
        match self.rng.below(n) {
            0..=2 | 24..=26 => ColumnType::Text,
            3 => ColumnType::VarChar(Some(*self.rng.pick(&[20, 40]))),
            4 => ColumnType::Char(Some(4)),
            5 => ColumnType::Boolean,
            6 => ColumnType::SmallInt,
            7 | 8 => ColumnType::Integer,
            9 => ColumnType::BigInt,
            10 => ColumnType::Real,
            11 => ColumnType::DoublePrecision,
            12 => ColumnType::Decimal(Some((10, 2))),
            13 => ColumnType::Timestamp(Some(3)),
            14 => ColumnType::Timestamptz(Some(3)),
            15 => ColumnType::Date,
            16 => ColumnType::Time(None),
            17 => self
                .rng
                .pick(&[ColumnType::Json, ColumnType::Jsonb])
                .clone(),
            18 => ColumnType::Uuid,
            19 => ColumnType::Bytea,
            20 => ColumnType::Inet,
            21 => ColumnType::Array(Box::new(ColumnType::Text)),
            22 => ColumnType::Array(Box::new(ColumnType::Integer)),
            23 => ColumnType::Xml,
            30 => {
                let e = self.rng.pick(enums).name.clone();
                ColumnType::Array(Box::new(ColumnType::Enum(QualifiedName::public(e))))
            }
            _ => {
                let e = self.rng.pick(enums).name.clone();
                ColumnType::Enum(QualifiedName::public(e))
            }
        }
    }

    /// A random literal default for a type, or `None` when the type gets none.
    fn random_default(&mut self, ty: &ColumnType, enums: &[GEnum]) -> Option<DefaultValue> {
        Some(match ty {
            ColumnType::Text | ColumnType::VarChar(_) => {
                if self.rng.pct(10) {
                    DefaultValue::Expression("lower('ABC')".into())
                } else {
                    DefaultValue::String(
                        self.rng
                            .pick(&["none", "O'Brien", "", "a \"b\"", "back\\slash", "ünï ✓"])
                            .to_string(),
                    )
                }
            }
            ColumnType::Boolean => DefaultValue::Boolean(self.rng.pct(50)),
            ColumnType::SmallInt | ColumnType::Integer => {
                DefaultValue::Number(self.rng.pick(&["0", "-1", "42", "-32768"]).to_string())
            }
            ColumnType::BigInt => DefaultValue::Number(
                self.rng
                    .pick(&["0", "-1", "9223372036854775807"])
                    .to_string(),
            ),
            ColumnType::DoublePrecision | ColumnType::Real => {
                DefaultValue::Number(self.rng.pick(&["1.5", "0", "-2.25"]).to_string())
            }
            ColumnType::Decimal(_) => {
                DefaultValue::Number(self.rng.pick(&["0", "9.99", "-0.50"]).to_string())
            }
            ColumnType::Timestamp(_) | ColumnType::Timestamptz(_) => DefaultValue::Now,
            ColumnType::Json | ColumnType::Jsonb => DefaultValue::String(
                self.rng
                    .pick(&["{}", "{\"a\": [1, \"x\"]}", "[]"])
                    .to_string(),
            ),
            ColumnType::Uuid => DefaultValue::Expression("gen_random_uuid()".into()),
            ColumnType::Enum(e) => {
                let values = enums.iter().find(|x| x.name == e.name)?.values.clone();
                DefaultValue::EnumValue(self.rng.pick(&values).clone())
            }
            ColumnType::Array(inner) => match &**inner {
                ColumnType::Enum(e) if self.rng.pct(50) => {
                    let values = enums.iter().find(|x| x.name == e.name)?.values.clone();
                    DefaultValue::List(vec![DefaultValue::EnumValue(
                        self.rng.pick(&values).clone(),
                    )])
                }
                ColumnType::Text if self.rng.pct(50) => DefaultValue::List(vec![
                    DefaultValue::String("a".into()),
                    DefaultValue::String("b'c".into()),
                ]),
                ColumnType::Integer if self.rng.pct(50) => DefaultValue::List(vec![
                    DefaultValue::Number("1".into()),
                    DefaultValue::Number("-2".into()),
                ]),
                _ => DefaultValue::List(Vec::new()),
            },
            _ => return None,
        })
    }

    fn build_from(&mut self) {
        let mut values: Vec<&str> = ENUM_VALUES.to_vec();
        for name in ENUM_NAMES.iter().take(self.rng.range(0, 3)) {
            let n = self.rng.range(2, 4).min(values.len());
            let mut vs = Vec::new();
            for _ in 0..n {
                let i = self.rng.below(values.len());
                vs.push(values.remove(i).to_string());
            }
            self.from.enums.push(GEnum {
                name: name.to_string(),
                values: vs,
            });
        }
        let n_tables = self.rng.range(1, 4);
        for _ in 0..n_tables {
            let t = self.random_table(true);
            self.from.tables.push(t);
        }
    }

    /// A new table for `from` (or, with `for_from = false`, for `to`), with FKs to earlier tables.
    fn random_table(&mut self, for_from: bool) -> GTable {
        let name = self.unused_table_name();
        let uid = self.next_uid();
        let id = self.next_uid();
        let id_default = if self.rng.pct(30) {
            Some(DefaultValue::Autoincrement)
        } else {
            None
        };
        let mut t = GTable {
            uid,
            name,
            cols: vec![GCol {
                uid: id,
                name: "id".into(),
                ty: ColumnType::Integer,
                nullable: false,
                default: id_default,
            }],
            indexes: Vec::new(),
            fks: Vec::new(),
        };
        let schema = if for_from { &self.from } else { &self.to };
        let parents: Vec<(u32, String)> = schema
            .tables
            .iter()
            .map(|p| (p.uid, p.name.clone()))
            .collect();
        let enums = schema.enums.clone();
        for (puid, pname) in parents {
            if !self.rng.pct(40) {
                continue;
            }
            let mut cname = format!("{}Id", pname.to_lowercase());
            if t.has_col_name(&cname) {
                cname = format!("{cname}{}", self.next_uid());
            }
            let cuid = self.next_uid();
            let nullable = self.rng.pct(50);
            t.cols.push(GCol {
                uid: cuid,
                name: cname,
                ty: ColumnType::Integer,
                nullable,
                default: None,
            });
            let fk = self.random_fk(cuid, puid, nullable);
            t.fks.push(fk);
            self.roles.insert(cuid, Role::Ref(puid));
        }
        for _ in 0..self.rng.range(1, 6) {
            let name = self.unused_column_name(&t, None);
            let ty = self.random_type(&enums);
            // List columns are created without NOT NULL.
            let nullable = self.rng.pct(40) || matches!(ty, ColumnType::Array(_));
            let default = if self.rng.pct(35) {
                self.random_default(&ty, &enums)
            } else {
                None
            };
            let cuid = self.next_uid();
            t.cols.push(GCol {
                uid: cuid,
                name,
                ty,
                nullable,
                default,
            });
        }
        // Indexes: a unique one, a plain one, sometimes over two columns.
        let uniq: Vec<u32> = t
            .cols
            .iter()
            .skip(1)
            .filter(|c| is_unique_eligible(&c.ty) && !self.roles.contains_key(&c.uid))
            .map(|c| c.uid)
            .collect();
        if !uniq.is_empty() && self.rng.pct(35) {
            let c = *self.rng.pick(&uniq);
            t.indexes.push(GIndex::btree(vec![c], true));
            self.roles.insert(c, Role::Unique);
        }
        let idx: Vec<u32> = t
            .cols
            .iter()
            .skip(1)
            .filter(|c| is_index_eligible(&c.ty))
            .map(|c| c.uid)
            .collect();
        if !idx.is_empty() && self.rng.pct(40) {
            let mut cols = vec![*self.rng.pick(&idx)];
            if idx.len() > 1 && self.rng.pct(40) {
                let other = *self.rng.pick(&idx);
                if other != cols[0] {
                    cols.push(other);
                }
            }
            let i = self.styled_index(&t, cols);
            add_index(&mut t, i);
        }
        // A GIN index on a JSON column.
        let gin: Vec<u32> = t
            .cols
            .iter()
            .filter(|c| c.ty == ColumnType::Jsonb)
            .map(|c| c.uid)
            .collect();
        if !gin.is_empty() && self.rng.pct(40) {
            let c = *self.rng.pick(&gin);
            let i = self.styled_index(&t, vec![c]);
            add_index(&mut t, i);
        }
        // A self relation.
        if self.rng.pct(15) && !t.has_col_name("parentId") {
            let cuid = self.next_uid();
            t.cols.push(GCol {
                uid: cuid,
                name: "parentId".into(),
                ty: ColumnType::Integer,
                nullable: true,
                default: None,
            });
            let fk = self.random_fk(cuid, t.uid, true);
            t.fks.push(fk);
            self.roles.insert(cuid, Role::Ref(t.uid));
        }
        t
    }

    /// A non-unique index over `cols`: GIN (sometimes `jsonb_path_ops`) on a JSON column, else
    /// sometimes hash (one column), sometimes descending.
    fn styled_index(&mut self, t: &GTable, cols: Vec<u32>) -> GIndex {
        let ty = t
            .col(cols[0])
            .map(|c| c.ty.clone())
            .unwrap_or(ColumnType::Integer);
        let mut i = GIndex::btree(cols, false);
        if ty == ColumnType::Jsonb {
            i.cols.truncate(1);
            i.method = IndexMethod::Gin;
            if self.rng.pct(50) {
                i.opclass = Some("jsonb_path_ops".into());
            }
        } else if i.cols.len() == 1
            && matches!(ty, ColumnType::Text | ColumnType::Integer)
            && self.rng.pct(20)
        {
            i.method = IndexMethod::Hash;
        } else if self.rng.pct(25) {
            i.desc = true;
        }
        i
    }

    fn random_fk(&mut self, col: u32, parent: u32, nullable: bool) -> GFk {
        let pick = |rng: &mut Rng| loop {
            let a = *rng.pick(ACTIONS);
            // SET NULL / SET DEFAULT on a required column without default: PostgreSQL accepts it,
            // the DSL's validation rejects SET NULL on a required relation, so keep them nullable.
            if nullable
                || !matches!(
                    a,
                    ReferentialAction::SetNull | ReferentialAction::SetDefault
                )
            {
                return a;
            }
        };
        let on_delete = pick(&mut self.rng);
        let on_update = pick(&mut self.rng);
        GFk {
            col,
            parent,
            on_delete,
            on_update,
        }
    }

    fn mutate_enums(&mut self) {
        let n = self.to.enums.len();
        for i in 0..n {
            // Add a value at the start, in the middle or at the end.
            if self.rng.pct(35) {
                let taken: BTreeSet<String> = self
                    .to
                    .enums
                    .iter()
                    .flat_map(|e| e.values.iter().cloned())
                    .collect();
                let free: Vec<&str> = ENUM_VALUES
                    .iter()
                    .copied()
                    .filter(|v| !taken.contains(*v))
                    .collect();
                if !free.is_empty() {
                    let v = self.rng.pick(&free).to_string();
                    let len = self.to.enums[i].values.len();
                    let at = self.rng.range(0, len);
                    self.to.enums[i].values.insert(at, v.clone());
                    let e = self.to.enums[i].name.clone();
                    self.note(format!("enum {e}: add value {v} at {at}"));
                }
            }
            // Remove a value (mapped to another one in every column that keeps the enum).
            if self.rng.pct(25) && self.to.enums[i].values.len() > 2 {
                let e = self.to.enums[i].name.clone();
                let defaults: BTreeSet<String> = self
                    .from
                    .tables
                    .iter()
                    .flat_map(|t| t.cols.iter())
                    .filter_map(|c| match &c.default {
                        Some(DefaultValue::EnumValue(v)) => Some(v.clone()),
                        _ => None,
                    })
                    .collect();
                let from_values = self
                    .from
                    .enum_values(&e)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default();
                // Half the time a value some column uses as its default may go too: that
                // default then becomes the replacement value.
                let allow_default = self.rng.pct(50);
                let candidates: Vec<String> = from_values
                    .iter()
                    .filter(|v| allow_default || !defaults.contains(*v))
                    .cloned()
                    .collect();
                if !candidates.is_empty() && !self.array_enum(&e) {
                    let v = self.rng.pick(&candidates).clone();
                    self.to.enums[i].values.retain(|x| x != &v);
                    let repl = self.rng.pick(&self.to.enums[i].values.clone()).clone();
                    self.removed
                        .entry(e.clone())
                        .or_default()
                        .insert(v.clone(), repl.clone());
                    self.allowed.insert("enum-value-removed".into());
                    self.note(format!("enum {e}: remove value {v} (rows → {repl})"));
                }
            }
        }
        // Reorder two values of an enum (the type is recreated).
        if !self.to.enums.is_empty() && self.rng.pct(10) {
            let i = self.rng.below(self.to.enums.len());
            let e = self.to.enums[i].name.clone();
            let len = self.to.enums[i].values.len();
            if len >= 2 && !self.array_enum(&e) {
                let a = self.rng.below(len);
                let b = (a + 1 + self.rng.below(len - 1)) % len;
                self.to.enums[i].values.swap(a, b);
                self.note(format!("enum {e}: swap values #{a} and #{b}"));
            }
        }
        // A new enum in `to` (used by new columns or String → enum casts).
        if self.rng.pct(30) {
            self.new_enum();
        }
    }

    /// True when a `from` column holds an array of this enum. Such enums only gain values:
    /// the oracle does not map array elements.
    fn array_enum(&self, e: &str) -> bool {
        self.from.tables.iter().flat_map(|t| &t.cols).any(|c| {
            matches!(&c.ty, ColumnType::Array(inner) if inner.enum_name().is_some_and(|n| n.name == e))
        })
    }

    fn new_enum(&mut self) {
        {
            let used: BTreeSet<String> = self.to.enums.iter().map(|e| e.name.clone()).collect();
            let free: Vec<&str> = ENUM_NAMES
                .iter()
                .copied()
                .filter(|n| !used.contains(*n))
                .collect();
            if !free.is_empty() {
                let name = self.rng.pick(&free).to_string();
                let mut pool: Vec<&str> = ENUM_VALUES.to_vec();
                let mut values = Vec::new();
                for _ in 0..self.rng.range(2, 4) {
                    let i = self.rng.below(pool.len());
                    values.push(pool.remove(i).to_string());
                }
                self.note(format!("enum {name}: create {values:?}"));
                self.to.enums.push(GEnum { name, values });
            }
        }
    }

    fn mutate_tables(&mut self) {
        // Drop a table (its rows go: `drop-table` is allowed).
        if self.to.tables.len() > 1 && self.rng.pct(20) {
            let i = self.rng.below(self.to.tables.len());
            let t = self.to.tables.remove(i);
            self.allowed.insert("drop-table".into());
            self.note(format!("drop table {}", t.name));
        }
        // Rename a table.
        let mut freed = None;
        if !self.to.tables.is_empty() && self.rng.pct(30) {
            let i = self.rng.below(self.to.tables.len());
            let new = self.unused_table_name();
            let old = std::mem::replace(&mut self.to.tables[i].name, new.clone());
            self.note(format!("rename table {old} → {new}"));
            freed = Some(old);
        }
        // Not generated: two tables swapping names, or a chain of renames. The planner refuses
        // a rename into a name the source still holds (it used to skip such renames silently;
        // see tests/regressions.rs), so those need two plans.
        // Add a table (empty after the plan), sometimes under the name a rename freed.
        if self.rng.pct(30) {
            let mut t = self.random_table(false);
            if let Some(old) = freed.filter(|o| !self.to.tables.iter().any(|x| &x.name == o))
                && self.rng.pct(50)
            {
                t.name = old;
            }
            self.note(format!("create table {}", t.name));
            self.to.tables.push(t);
        }
    }

    /// The uids of the target's tables that the source has too.
    fn surviving_tables(&self) -> Vec<u32> {
        self.to
            .tables
            .iter()
            .filter(|t| self.from.table(t.uid).is_some())
            .map(|t| t.uid)
            .collect()
    }

    fn mutate_columns(&mut self) {
        let surviving = self.surviving_tables();
        for tuid in surviving {
            let steps = self.rng.range(0, 3);
            for _ in 0..steps {
                self.mutate_one_column(tuid);
            }
        }
    }

    fn to_table_mut(&mut self, uid: u32) -> &mut GTable {
        self.to
            .tables
            .iter_mut()
            .find(|t| t.uid == uid)
            .expect("table in to")
    }

    fn mutate_one_column(&mut self, tuid: u32) {
        let from_t = self.from.table(tuid).expect("from table").clone();
        let to_t = self.to.table(tuid).expect("to table").clone();
        // Columns present on both sides, unchanged so far, not the key.
        let plain: Vec<GCol> =
            to_t.cols
                .iter()
                .skip(1)
                .filter(|c| {
                    from_t.col(c.uid).is_some_and(|f| {
                        f.ty == c.ty && f.name == c.name && f.nullable == c.nullable
                    }) && !self.roles.contains_key(&c.uid)
                })
                .cloned()
                .collect();
        let tname = to_t.name.clone();
        match self.rng.below(13) {
            // Add a column: nullable, or required with a default.
            0 | 1 => {
                let name = self.unused_column_name(&to_t, Some(&from_t));
                let enums = self.to.enums.clone();
                let ty = self.random_type(&enums);
                let mut nullable = self.rng.pct(50);
                let mut default = if self.rng.pct(60) {
                    self.random_default(&ty, &enums)
                } else {
                    None
                };
                if default.is_none() {
                    // A required column without a default cannot be added to a table with rows.
                    nullable = true;
                }
                if matches!(default, Some(DefaultValue::List(_))) {
                    // List columns are created without NOT NULL.
                    nullable = true;
                    default = None;
                }
                let uid = self.next_uid();
                self.note(format!(
                    "add column {tname}.{name} {ty} nullable={nullable} default={default:?}"
                ));
                self.to_table_mut(tuid).cols.push(GCol {
                    uid,
                    name,
                    ty,
                    nullable,
                    default,
                });
            }
            // Drop a column (`drop-column` allowed; its indexes and FKs go with it).
            2 => {
                if let Some(c) = pick_opt(&mut self.rng, &plain) {
                    let t = self.to_table_mut(tuid);
                    t.cols.retain(|x| x.uid != c.uid);
                    t.indexes.retain(|i| !i.cols.contains(&c.uid));
                    t.fks.retain(|f| f.col != c.uid);
                    self.allowed.insert("drop-column".into());
                    self.note(format!("drop column {tname}.{}", c.name));
                }
            }
            // Rename a column (any but the key, FK columns included).
            3 => {
                let cands: Vec<GCol> = to_t
                    .cols
                    .iter()
                    .skip(1)
                    .filter(|c| from_t.col(c.uid).is_some_and(|f| f.name == c.name))
                    .cloned()
                    .collect();
                // Not generated: two columns swapping names (refused by the planner, see
                // tests/regressions.rs).
                if let Some(c) = pick_opt(&mut self.rng, &cands) {
                    let new = self.unused_column_name(&to_t, Some(&from_t));
                    self.to_table_mut(tuid).col_mut(c.uid).expect("col").name = new.clone();
                    self.note(format!("rename column {tname}.{} → {new}", c.name));
                    // A new column under the old name.
                    if self.rng.pct(30) {
                        let uid = self.next_uid();
                        let ty = ColumnType::Integer;
                        self.to_table_mut(tuid).cols.push(GCol {
                            uid,
                            name: c.name.clone(),
                            ty,
                            nullable: true,
                            default: None,
                        });
                        self.note(format!("add column {tname}.{} (the old name)", c.name));
                    }
                }
            }
            // Nullability.
            4 | 10 | 11 => {
                if let Some(c) = pick_opt(&mut self.rng, &plain) {
                    if !c.nullable {
                        self.to_table_mut(tuid)
                            .col_mut(c.uid)
                            .expect("col")
                            .nullable = true;
                        self.note(format!("{tname}.{}: required → nullable", c.name));
                    } else if matches!(c.ty, ColumnType::Array(_)) {
                        // List columns are always nullable in the DSL.
                    } else if let Some(v) = fill_value(&mut self.rng, &c.ty, &self.to.enums) {
                        // Nullable → required: a fill value, or (when the type allows) a new default.
                        let enums = self.to.enums.clone();
                        // Only a string or enum default fills NULLs (docs/mapping.md); other
                        // types take a fill value.
                        let use_default = self.rng.pct(40)
                            && matches!(
                                c.ty,
                                ColumnType::Text | ColumnType::VarChar(_) | ColumnType::Enum(_)
                            );
                        let col = self.to_table_mut(tuid).col_mut(c.uid).expect("col");
                        col.nullable = false;
                        if use_default && let Some(d) = literal_default(&c.ty, &v, &enums) {
                            col.default = Some(d);
                            self.note(format!(
                                "{tname}.{}: nullable → required, default {v:?}",
                                c.name
                            ));
                        } else {
                            self.fill.insert((tuid, c.uid), v.clone());
                            self.note(format!(
                                "{tname}.{}: nullable → required, fill {v:?}",
                                c.name
                            ));
                        }
                    }
                }
            }
            // Default added, changed or dropped.
            5 => {
                if let Some(c) = pick_opt(&mut self.rng, &plain) {
                    let enums = self.to.enums.clone();
                    let d = if c.default.is_some() && self.rng.pct(50) {
                        None
                    } else {
                        self.random_default(&c.ty, &enums)
                    };
                    // An enum default must be a value the enum keeps.
                    let ok = match &d {
                        Some(DefaultValue::EnumValue(v)) => {
                            let e = c.ty.enum_name().map(|n| n.name.clone()).unwrap_or_default();
                            !self.removed.get(&e).is_some_and(|r| r.contains_key(v))
                        }
                        _ => true,
                    };
                    if ok {
                        self.note(format!(
                            "{tname}.{}: default {:?} → {d:?}",
                            c.name, c.default
                        ));
                        self.to_table_mut(tuid).col_mut(c.uid).expect("col").default = d;
                    }
                }
            }
            // Widening type change that keeps every value's text.
            6 => {
                let cands: Vec<GCol> = plain
                    .iter()
                    .filter(|c| widen(&c.ty).is_some() || to_text(&c.ty))
                    // Indexed columns may change type (PostgreSQL rebuilds the index); a foreign
                    // key column may not (the DSL wants the referenced column's type).
                    .filter(|c| !to_t.fks.iter().any(|f| f.col == c.uid))
                    // A GIN or hash index needs an operator class of the new type.
                    .filter(|c| {
                        !to_t
                            .indexes
                            .iter()
                            .any(|i| i.method != IndexMethod::BTree && i.cols.contains(&c.uid))
                    })
                    .cloned()
                    .collect();
                if let Some(c) = pick_opt(&mut self.rng, &cands) {
                    let ty = match widen(&c.ty) {
                        Some(w) if !to_text(&c.ty) || self.rng.pct(50) => w,
                        _ => ColumnType::Text,
                    };
                    // Sometimes the column also becomes required, its NULLs filled (the fill
                    // goes into the cast's USING expression).
                    let enums = self.to.enums.clone();
                    let fill = if c.nullable && self.rng.pct(30) {
                        fill_value(&mut self.rng, &ty, &enums)
                    } else {
                        None
                    };
                    if let Some(v) = &fill {
                        self.fill.insert((tuid, c.uid), v.clone());
                        self.note(format!(
                            "{tname}.{}: nullable → required, fill {v:?}",
                            c.name
                        ));
                    }
                    let col = self.to_table_mut(tuid).col_mut(c.uid).expect("col");
                    col.ty = ty.clone();
                    if fill.is_some() {
                        col.nullable = false;
                    }
                    if ty == ColumnType::Text {
                        // The default follows as text (a number, boolean or enum label).
                        col.default = match col.default.take() {
                            Some(DefaultValue::Number(n)) => Some(DefaultValue::String(n)),
                            Some(DefaultValue::Boolean(b)) => {
                                Some(DefaultValue::String(b.to_string()))
                            }
                            Some(DefaultValue::EnumValue(v)) => Some(DefaultValue::String(v)),
                            Some(DefaultValue::String(v)) => Some(DefaultValue::String(v)),
                            _ => None,
                        };
                    }
                    self.note(format!("{tname}.{}: {} → {ty}", c.name, c.ty));
                }
            }
            // String → enum.
            7 | 8 | 12 => self.string_to_enum(tuid, &plain),
            // String → Jsonb.
            _ => {
                let cands: Vec<GCol> = plain
                    .iter()
                    .filter(|c| c.ty == ColumnType::Text && !to_t.constrained(c.uid))
                    .cloned()
                    .collect();
                if let Some(c) = pick_opt(&mut self.rng, &cands) {
                    let strict = self.rng.pct(30);
                    let ty = if self.rng.pct(30) {
                        ColumnType::Json
                    } else {
                        ColumnType::Jsonb
                    };
                    let col = self.to_table_mut(tuid).col_mut(c.uid).expect("col");
                    col.ty = ty.clone();
                    col.default = None;
                    if strict {
                        self.strict.insert((tuid, c.uid));
                    }
                    self.roles.insert(c.uid, Role::Json { strict });
                    self.note(format!("{tname}.{}: String → {ty} strict={strict}", c.name));
                }
            }
        }
    }

    fn string_to_enum(&mut self, tuid: u32, plain: &[GCol]) {
        let to_t = self.to.table(tuid).expect("to").clone();
        let cands: Vec<GCol> = plain
            .iter()
            .filter(|c| {
                matches!(c.ty, ColumnType::Text | ColumnType::VarChar(_))
                    && !to_t.fks.iter().any(|f| f.col == c.uid)
                    && !to_t
                        .indexes
                        .iter()
                        .any(|i| i.unique && i.cols.contains(&c.uid))
            })
            .cloned()
            .collect();
        let Some(c) = pick_opt(&mut self.rng, &cands) else {
            return;
        };
        if self.to.enums.is_empty() || self.rng.pct(25) {
            self.new_enum();
        }
        if self.to.enums.is_empty() {
            return;
        }
        let e = self.rng.pick(&self.to.enums).clone();
        // Explicit legacy keys (some also name-match another value: the explicit entry wins).
        let mut explicit = BTreeMap::new();
        for _ in 0..self.rng.range(0, 3) {
            let k = self.rng.pick(LEGACY_KEYS).to_string();
            explicit.insert(k, self.rng.pick(&e.values).clone());
        }
        if self.rng.pct(30) {
            let a = self.rng.pick(&e.values).clone();
            let b = self.rng.pick(&e.values).clone();
            explicit.insert(a.to_lowercase(), b);
        }
        let mut nullable = c.nullable;
        let mut default = None;
        let mut fill = None;
        if c.nullable && self.rng.pct(50) {
            nullable = false;
            let v = self.rng.pick(&e.values).clone();
            if self.rng.pct(50) {
                default = Some(DefaultValue::EnumValue(v));
            } else {
                fill = Some(v);
            }
        } else if !c.nullable && self.rng.pct(20) {
            nullable = true;
        }
        let col = self.to_table_mut(tuid).col_mut(c.uid).expect("col");
        col.ty = ColumnType::Enum(QualifiedName::public(e.name.clone()));
        col.nullable = nullable;
        col.default = default.clone();
        let name = col.name.clone();
        if let Some(f) = &fill {
            self.fill.insert((tuid, c.uid), f.clone());
        }
        self.roles.insert(
            c.uid,
            Role::Legacy {
                values: e.values.clone(),
                explicit: explicit.keys().cloned().collect(),
            },
        );
        self.note(format!(
            "{}.{name}: String → {} nullable={nullable} default={default:?} fill={fill:?} explicit={explicit:?}",
            to_t.name, e.name
        ));
        if !explicit.is_empty() {
            self.values.insert((tuid, c.uid), explicit);
        }
    }

    fn mutate_indexes_and_fks(&mut self) {
        let surviving = self.surviving_tables();
        for tuid in surviving {
            let from_t = self.from.table(tuid).expect("from").clone();
            let to_t = self.to.table(tuid).expect("to").clone();
            let same: Vec<GCol> = to_t
                .cols
                .iter()
                .skip(1)
                // Same type and nullability: a NULL filled with one value would break a new
                // unique index or foreign key.
                .filter(|c| {
                    from_t
                        .col(c.uid)
                        .is_some_and(|f| f.ty == c.ty && f.nullable == c.nullable)
                })
                .cloned()
                .collect();
            match self.rng.below(8) {
                // Drop an index or unique index.
                0 if !to_t.indexes.is_empty() => {
                    let i = self.rng.below(to_t.indexes.len());
                    self.to_table_mut(tuid).indexes.remove(i);
                    self.note(format!("{}: drop index #{i}", to_t.name));
                }
                1 => {
                    // Add a unique index on a column whose rows will be distinct.
                    let cands: Vec<GCol> = same
                        .iter()
                        .filter(|c| is_unique_eligible(&c.ty) && !self.roles.contains_key(&c.uid))
                        .cloned()
                        .collect();
                    if let Some(c) = pick_opt(&mut self.rng, &cands) {
                        add_index(self.to_table_mut(tuid), GIndex::btree(vec![c.uid], true));
                        self.roles.insert(c.uid, Role::Unique);
                        self.note(format!("{}: add unique on {}", to_t.name, c.name));
                    }
                }
                2 => {
                    let cands: Vec<GCol> = same
                        .iter()
                        .filter(|c| is_index_eligible(&c.ty))
                        .cloned()
                        .collect();
                    if let Some(c) = pick_opt(&mut self.rng, &cands) {
                        let t = self.to.table(tuid).expect("to").clone();
                        let i = self.styled_index(&t, vec![c.uid]);
                        add_index(self.to_table_mut(tuid), i);
                        self.note(format!("{}: add index on {}", to_t.name, c.name));
                    }
                }
                // Change the actions of a foreign key.
                3 if !to_t.fks.is_empty() => {
                    let i = self.rng.below(to_t.fks.len());
                    let fk = to_t.fks[i].clone();
                    let nullable = to_t.col(fk.col).is_some_and(|c| c.nullable);
                    let new = self.random_fk(fk.col, fk.parent, nullable);
                    self.note(format!(
                        "{}: fk #{i} actions {:?}/{:?} → {:?}/{:?}",
                        to_t.name, fk.on_delete, fk.on_update, new.on_delete, new.on_update
                    ));
                    self.to_table_mut(tuid).fks[i] = new;
                }
                4 if !to_t.fks.is_empty() => {
                    let i = self.rng.below(to_t.fks.len());
                    self.to_table_mut(tuid).fks.remove(i);
                    self.note(format!("{}: drop fk #{i}", to_t.name));
                }
                5 => {
                    // Add a foreign key on an existing integer column to an earlier table
                    // of `from` that survives: its rows will hold parent ids.
                    let pos = self
                        .from
                        .tables
                        .iter()
                        .position(|t| t.uid == tuid)
                        .expect("pos");
                    let parents: Vec<u32> = self.from.tables[..pos]
                        .iter()
                        .map(|t| t.uid)
                        .filter(|p| self.to.table(*p).is_some())
                        .collect();
                    let cands: Vec<GCol> = same
                        .iter()
                        .filter(|c| {
                            c.ty == ColumnType::Integer
                                && !self.roles.contains_key(&c.uid)
                                && !to_t.fks.iter().any(|f| f.col == c.uid)
                        })
                        .cloned()
                        .collect();
                    if !parents.is_empty()
                        && let Some(c) = pick_opt(&mut self.rng, &cands)
                    {
                        let p = *self.rng.pick(&parents);
                        let fk = self.random_fk(c.uid, p, c.nullable);
                        self.roles.insert(c.uid, Role::Ref(p));
                        self.to_table_mut(tuid).fks.push(fk);
                        self.note(format!("{}: add fk on {}", to_t.name, c.name));
                    }
                }
                // Change how an index is built (same name: dropped and created again).
                6 if to_t.indexes.iter().any(|i| !i.unique) => {
                    let which: Vec<usize> = (0..to_t.indexes.len())
                        .filter(|i| !to_t.indexes[*i].unique)
                        .collect();
                    let i = *self.rng.pick(&which);
                    let old = to_t.indexes[i].clone();
                    let new = match old.method {
                        IndexMethod::BTree => GIndex {
                            desc: !old.desc,
                            ..old.clone()
                        },
                        IndexMethod::Gin => GIndex {
                            opclass: match old.opclass {
                                Some(_) => None,
                                None => Some("jsonb_path_ops".into()),
                            },
                            ..old.clone()
                        },
                        _ => GIndex::btree(old.cols.clone(), false),
                    };
                    self.note(format!(
                        "{}: index #{i} {:?}/desc={}/{:?} → {:?}/desc={}/{:?}",
                        to_t.name,
                        old.method,
                        old.desc,
                        old.opclass,
                        new.method,
                        new.desc,
                        new.opclass
                    ));
                    self.to_table_mut(tuid).indexes[i] = new;
                }
                _ => {}
            }
        }
    }

    /// Maps removed enum values in every column that keeps its enum, and drops unused enums.
    fn finish_enum_removals(&mut self) {
        for t in self.to.tables.clone() {
            let Some(ft) = self.from.table(t.uid).cloned() else {
                continue;
            };
            for c in &t.cols {
                let Some(fc) = ft.col(c.uid) else { continue };
                let (Some(fe), Some(te)) = (fc.ty.enum_name(), c.ty.enum_name()) else {
                    continue;
                };
                if fe != te {
                    continue;
                }
                if let Some(r) = self.removed.get(&fe.name) {
                    self.values
                        .entry((t.uid, c.uid))
                        .or_default()
                        .extend(r.clone());
                }
            }
        }
        // A default that names a removed value becomes the replacement.
        for t in &mut self.to.tables {
            for c in &mut t.cols {
                let Some(e) = c.ty.enum_name().map(|n| n.name.clone()) else {
                    continue;
                };
                if let Some(DefaultValue::EnumValue(v)) = &c.default
                    && let Some(r) = self.removed.get(&e).and_then(|m| m.get(v))
                {
                    self.changes.push(format!(
                        "{}.{}: default {v} → {r} (removed)",
                        t.name, c.name
                    ));
                    c.default = Some(DefaultValue::EnumValue(r.clone()));
                }
            }
        }
        // Enums no column uses any more may go.
        let names: Vec<String> = self.to.enums.iter().map(|e| e.name.clone()).collect();
        for n in names {
            if self.from.enum_values(&n).is_some() && !self.to.enum_used(&n) && self.rng.pct(50) {
                self.to.enums.retain(|e| e.name != n);
                self.note(format!("drop enum {n}"));
            }
        }
    }

    /// Removes what no longer fits: FKs to dropped tables, index duplicates.
    fn prune(&mut self) {
        let live: BTreeSet<u32> = self.to.tables.iter().map(|t| t.uid).collect();
        for t in &mut self.to.tables {
            t.fks.retain(|f| live.contains(&f.parent));
        }
    }

    /// Rows for every `from` table, in `from` order (parents first), as `INSERT`s.
    fn rows(&mut self) -> String {
        let mut out = String::new();
        let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
        let parents: BTreeSet<u32> = self
            .roles
            .values()
            .filter_map(|r| match r {
                Role::Ref(p) => Some(*p),
                _ => None,
            })
            .collect();
        for t in self.from.tables.clone() {
            // Sometimes an empty table (never one whose ids other rows need).
            let n = if !parents.contains(&t.uid) && self.rng.pct(10) {
                0
            } else {
                self.rng.range(1, 12)
            };
            if n == 0 {
                counts.insert(t.uid, 0);
                continue;
            }
            counts.insert(t.uid, n);
            let to_t = self.to.table(t.uid).cloned();
            let cols: Vec<String> = t.cols.iter().map(|c| quote_ident(&c.name)).collect();
            let mut lines = Vec::new();
            for row in 0..n {
                let mut vals = Vec::new();
                for c in &t.cols {
                    let to_c = to_t.as_ref().and_then(|x| x.col(c.uid)).cloned();
                    vals.push(self.value(c, to_c.as_ref(), row, &counts));
                }
                lines.push(format!("({})", vals.join(", ")));
            }
            out.push_str(&format!(
                "INSERT INTO \"public\".{} ({}) VALUES\n  {};\n",
                quote_ident(&t.name),
                cols.join(", "),
                lines.join(",\n  ")
            ));
        }
        out
    }

    /// A SQL literal for column `c` in row `row` (0-based; the row's id is `row + 1`).
    fn value(
        &mut self,
        c: &GCol,
        to_c: Option<&GCol>,
        row: usize,
        counts: &BTreeMap<u32, usize>,
    ) -> String {
        if c.name == "id" {
            return (row + 1).to_string();
        }
        // NULL only where both sides allow it, or `to` has a fill / default for it.
        let to_ok_null = to_c.is_none_or(|t| {
            t.nullable || t.default.is_some() || self.fill.keys().any(|(_, cu)| *cu == c.uid)
        });
        let role = self.roles.get(&c.uid).cloned();
        let may_null = c.nullable && to_ok_null;
        if may_null && self.rng.pct(20) {
            return "NULL".into();
        }
        match role {
            Some(Role::Ref(p)) => {
                let n = counts.get(&p).copied().unwrap_or(0);
                if n == 0 {
                    return "NULL".into();
                }
                self.rng.range(1, n).to_string()
            }
            Some(Role::Unique) => unique_value(&c.ty, row),
            Some(Role::Legacy { values, explicit }) => {
                if !explicit.is_empty() && self.rng.pct(35) {
                    return quote_literal(self.rng.pick(&explicit));
                }
                let v = self.rng.pick(&values).clone();
                quote_literal(spelling(&mut self.rng, &v))
            }
            Some(Role::Json { strict }) => {
                let pool: Vec<&str> = JSON_TEXTS
                    .iter()
                    .filter(|(_, ok)| *ok || !strict)
                    .map(|(s, _)| *s)
                    .collect();
                quote_literal(self.rng.pick(&pool))
            }
            None => self.random_value(&c.ty),
        }
    }

    fn random_value(&mut self, ty: &ColumnType) -> String {
        let r = &mut self.rng;
        match ty {
            ColumnType::Text | ColumnType::VarChar(_) => quote_literal(r.pick(TEXTS)),
            ColumnType::Char(_) => quote_literal(r.pick(&["ab", "abcd", "", "x y"])),
            ColumnType::Boolean => r.pick(&["true", "false"]).to_string(),
            ColumnType::SmallInt => r.pick(&["0", "-32768", "32767", "7"]).to_string(),
            ColumnType::Integer => r
                .pick(&["0", "-2147483648", "2147483647", "12"])
                .to_string(),
            ColumnType::BigInt => r
                .pick(&["0", "-9223372036854775808", "9223372036854775807", "5"])
                .to_string(),
            ColumnType::Real | ColumnType::DoublePrecision => r
                .pick(&["1.5", "-0.25", "0.1", "1e10", "'NaN'", "'-Infinity'"])
                .to_string(),
            ColumnType::Decimal(_) => r.pick(&["123.45", "-0.5", "0", "99999999.99"]).to_string(),
            ColumnType::Timestamp(_) | ColumnType::Timestamptz(_) => quote_literal(r.pick(&[
                "2024-01-02 03:04:05.678",
                "1999-12-31 23:59:59",
                "2038-01-19 03:14:08.001",
            ])),
            ColumnType::Date => quote_literal(r.pick(&["2024-02-29", "1970-01-01", "2100-12-31"])),
            ColumnType::Time(_) => quote_literal(r.pick(&["13:45:00", "00:00:00", "23:59:59.5"])),
            ColumnType::Json | ColumnType::Jsonb => quote_literal(r.pick(&[
                "{\"a\": 1}",
                "[1, 2, 3]",
                "\"s\"",
                "null",
                "{\"nested\": {\"k\": [true, null]}}",
            ])),
            ColumnType::Uuid => quote_literal(format!(
                "{:08x}-0000-4000-8000-{:012x}",
                r.next_u64() as u32,
                r.next_u64() & 0xFFFF_FFFF_FFFF
            )),
            ColumnType::Bytea => format!("decode('{:08x}', 'hex')", r.next_u64() as u32),
            ColumnType::Inet => quote_literal(r.pick(&["10.0.0.1", "::1", "192.168.0.0/24"])),
            ColumnType::Xml => quote_literal(r.pick(&["<a>1</a>", "<b x=\"y\"/>", "text"])),
            ColumnType::Array(inner) if **inner == ColumnType::Text => r
                .pick(&["'{}'", "ARRAY['a', 'b''c']", "ARRAY[NULL, 'x']::text[]"])
                .to_string(),
            ColumnType::Array(inner) if inner.enum_name().is_some() => {
                let e = inner.enum_name().expect("enum").name.clone();
                let values = self
                    .from
                    .enum_values(&e)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default();
                let a = quote_literal(self.rng.pick(&values));
                let b = quote_literal(self.rng.pick(&values));
                format!("ARRAY[{a}, {b}]::{}[]", quote_ident(&e))
            }
            ColumnType::Array(_) => r.pick(&["'{}'", "ARRAY[1, 2, 3]", "'{-1}'"]).to_string(),
            ColumnType::Enum(e) => {
                let values = self
                    .from
                    .enum_values(&e.name)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default();
                quote_literal(self.rng.pick(&values))
            }
            other => panic!("no value generator for {other}"),
        }
    }

    fn mapping_text(&self) -> String {
        let mut root = toml::Table::new();
        let to_name = |t: u32| self.to.table(t).expect("to table").name.clone();
        let col_name = |t: u32, c: u32| {
            self.to
                .table(t)
                .and_then(|t| t.col(c))
                .expect("to column")
                .name
                .clone()
        };
        // Renames.
        let mut tables = toml::Table::new();
        let mut columns = toml::Table::new();
        for t in &self.to.tables {
            let Some(f) = self.from.table(t.uid) else {
                continue;
            };
            if f.name != t.name {
                tables.insert(f.name.clone(), toml::Value::String(t.name.clone()));
            }
            let mut cols = toml::Table::new();
            for c in &t.cols {
                if let Some(fc) = f.col(c.uid)
                    && fc.name != c.name
                {
                    cols.insert(fc.name.clone(), toml::Value::String(c.name.clone()));
                }
            }
            if !cols.is_empty() {
                columns.insert(t.name.clone(), toml::Value::Table(cols));
            }
        }
        let mut renames = toml::Table::new();
        if !tables.is_empty() {
            renames.insert("tables".into(), toml::Value::Table(tables));
        }
        if !columns.is_empty() {
            renames.insert("columns".into(), toml::Value::Table(columns));
        }
        if !renames.is_empty() {
            root.insert("renames".into(), toml::Value::Table(renames));
        }
        // Values.
        let mut values = toml::Table::new();
        for ((t, c), m) in &self.values {
            let model = values
                .entry(to_name(*t))
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let entries: toml::Table = m
                .iter()
                .map(|(k, v)| (k.clone(), toml::Value::String(v.clone())))
                .collect();
            if let toml::Value::Table(mt) = model {
                mt.insert(col_name(*t, *c), toml::Value::Table(entries));
            }
        }
        if !values.is_empty() {
            root.insert("values".into(), toml::Value::Table(values));
        }
        // Fills.
        let mut fill = toml::Table::new();
        for ((t, c), v) in &self.fill {
            let model = fill
                .entry(to_name(*t))
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(mt) = model {
                mt.insert(col_name(*t, *c), toml::Value::String(v.clone()));
            }
        }
        if !fill.is_empty() {
            root.insert("fill".into(), toml::Value::Table(fill));
        }
        if !self.strict.is_empty() {
            let cols: Vec<toml::Value> = self
                .strict
                .iter()
                .map(|(t, c)| toml::Value::String(format!("{}.{}", to_name(*t), col_name(*t, *c))))
                .collect();
            let mut json = toml::Table::new();
            json.insert("strict_columns".into(), toml::Value::Array(cols));
            root.insert("json".into(), toml::Value::Table(json));
        }
        if root.is_empty() {
            String::new()
        } else {
            toml::to_string(&root).expect("mapping toml")
        }
    }
}

fn pick_opt<T: Clone>(rng: &mut Rng, xs: &[T]) -> Option<T> {
    if xs.is_empty() {
        None
    } else {
        Some(rng.pick(xs).clone())
    }
}

fn add_index(t: &mut GTable, i: GIndex) {
    // Two indexes with the same columns and kind would have the same default name.
    if !t
        .indexes
        .iter()
        .any(|x| x.cols == i.cols && x.unique == i.unique)
    {
        t.indexes.push(i);
    }
}

/// A type change that keeps every value and its text.
fn widen(ty: &ColumnType) -> Option<ColumnType> {
    Some(match ty {
        ColumnType::SmallInt => ColumnType::Integer,
        ColumnType::Integer => ColumnType::BigInt,
        ColumnType::VarChar(Some(20)) => ColumnType::VarChar(Some(40)),
        ColumnType::VarChar(_) => ColumnType::Text,
        ColumnType::Timestamp(Some(3)) => ColumnType::Timestamp(Some(6)),
        ColumnType::Decimal(Some((10, 2))) => ColumnType::Decimal(Some((12, 2))),
        _ => return None,
    })
}

/// True for the types whose values keep their text when the column becomes `text` (JSON:
/// strings are unwrapped).
fn to_text(ty: &ColumnType) -> bool {
    same_as_text(ty) || matches!(ty, ColumnType::Jsonb | ColumnType::VarChar(_))
}

/// True for the types whose values, cast to `text`, are the text the oracle expects unchanged
/// (numbers, booleans, UUIDs, dates, enum labels).
pub(crate) fn same_as_text(ty: &ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::SmallInt
            | ColumnType::Integer
            | ColumnType::BigInt
            | ColumnType::Boolean
            | ColumnType::Uuid
            | ColumnType::Date
            | ColumnType::Enum(_)
    )
}

/// A fill value (as the mapping file writes it) for a column becoming required.
fn fill_value(rng: &mut Rng, ty: &ColumnType, enums: &[GEnum]) -> Option<String> {
    Some(match ty {
        ColumnType::Text | ColumnType::VarChar(_) => {
            rng.pick(&["filled", "O'Fill", ""]).to_string()
        }
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt => {
            rng.pick(&["0", "-7", "99"]).to_string()
        }
        ColumnType::Boolean => rng.pick(&["true", "false"]).to_string(),
        ColumnType::Enum(e) => {
            let values = &enums.iter().find(|x| x.name == e.name)?.values;
            rng.pick(values).clone()
        }
        _ => return None,
    })
}

/// The default that writes the same value as a fill.
fn literal_default(ty: &ColumnType, v: &str, enums: &[GEnum]) -> Option<DefaultValue> {
    Some(match ty {
        ColumnType::Text | ColumnType::VarChar(_) => DefaultValue::String(v.to_string()),
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt => {
            DefaultValue::Number(v.to_string())
        }
        ColumnType::Boolean => DefaultValue::Boolean(v == "true"),
        ColumnType::Enum(e) => {
            enums.iter().find(|x| x.name == e.name)?;
            DefaultValue::EnumValue(v.to_string())
        }
        _ => return None,
    })
}

/// A distinct value for row `row`.
fn unique_value(ty: &ColumnType, row: usize) -> String {
    match ty {
        ColumnType::Integer | ColumnType::BigInt => (row as i64 * 7 - 20).to_string(),
        ColumnType::Uuid => format!("'00000000-0000-4000-8000-{row:012x}'"),
        _ => quote_literal(format!("u{row}-O'K")),
    }
}

/// A spelling of enum value `v` that the name match recognises.
fn spelling(rng: &mut Rng, v: &str) -> String {
    let words: Vec<String> = v.split('_').map(str::to_lowercase).collect();
    let title: Vec<String> = words
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    match rng.below(5) {
        0 => v.to_string(),
        1 => v.to_lowercase(),
        2 => title.join(" "),
        3 => format!(" {} ", words.join("-")),
        _ => words.concat(),
    }
}

/// `"name"` with inner quotes doubled.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `'text'` with inner quotes doubled (standard_conforming_strings on: backslash is literal).
pub fn quote_literal(s: impl AsRef<str>) -> String {
    format!("'{}'", s.as_ref().replace('\'', "''"))
}

/// The model for a generated schema, with Prisma's default constraint names.
fn to_model(g: &GSchema) -> Schema {
    let mut s = Schema::empty();
    for e in &g.enums {
        s.add_enum(Enum {
            name: QualifiedName::public(e.name.clone()),
            values: e.values.clone(),
        });
    }
    for t in &g.tables {
        let name_of = |uid: u32| t.col(uid).expect("column").name.clone();
        let mut table = Table::new(QualifiedName::public(t.name.clone()));
        for c in &t.cols {
            table.columns.push(Column {
                name: c.name.clone(),
                ty: c.ty.clone(),
                nullable: c.nullable,
                default: c.default.clone(),
            });
        }
        table.primary_key = Some(PrimaryKey {
            name: constraint_name(&t.name, &[], "pkey"),
            columns: vec!["id".into()],
        });
        for i in &t.indexes {
            let cols: Vec<String> = i.cols.iter().map(|u| name_of(*u)).collect();
            let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
            table.indexes.push(Index {
                name: constraint_name(&t.name, &refs, if i.unique { "key" } else { "idx" }),
                columns: cols
                    .iter()
                    .enumerate()
                    .map(|(k, c)| IndexColumn {
                        name: c.clone(),
                        sort: if k == 0 && i.desc {
                            SortOrder::Desc
                        } else {
                            SortOrder::Asc
                        },
                        opclass: if k == 0 { i.opclass.clone() } else { None },
                    })
                    .collect(),
                unique: i.unique,
                method: i.method,
            });
        }
        for f in &t.fks {
            let col = name_of(f.col);
            let parent = g.table(f.parent).expect("parent").name.clone();
            table.foreign_keys.push(ForeignKey {
                name: constraint_name(&t.name, &[&col], "fkey"),
                columns: vec![col],
                referenced_table: QualifiedName::public(parent),
                referenced_columns: vec!["id".into()],
                on_delete: f.on_delete,
                on_update: f.on_update,
            });
        }
        table.canonicalize();
        s.add_table(table);
    }
    s
}
