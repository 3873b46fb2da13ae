//! Unit tests of lowering: Prisma's default names, type mapping, defaults, relations, NameMap.

use schemadiff_model::{ColumnType, DefaultValue, QualifiedName, ReferentialAction};

const DS: &str = "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n";

fn load(body: &str) -> schemadiff_dsl::Lowered {
    let text = format!("{DS}{body}");
    let l = schemadiff_dsl::load("t.prisma", &text);
    assert!(
        !l.has_errors(),
        "{}",
        schemadiff_dsl::render_diagnostics(&l.diagnostics, "t.prisma", &text, false)
    );
    l
}

#[test]
fn default_names_use_database_names_and_are_cut_to_63_bytes() {
    let l = load(
        "model A {\n  id Int @id @map(\"a_id\")\n  veryLongFieldNameNumberOneThatGoesOnAndOn String @map(\"x_aVeryLongFieldNameThatKeepsGoingAndGoingForever\")\n  b Int\n  @@unique([veryLongFieldNameNumberOneThatGoesOnAndOn, b])\n  @@index([b])\n  @@map(\"kitchens\")\n}\n",
    );
    let t = l
        .schema
        .table(&QualifiedName::public("kitchens"))
        .expect("table");
    assert_eq!(
        t.primary_key.as_ref().map(|p| p.name.as_str()),
        Some("kitchens_pkey")
    );
    assert_eq!(
        t.primary_key.as_ref().map(|p| p.columns.clone()),
        Some(vec!["a_id".to_string()])
    );
    let names: Vec<&str> = t.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "kitchens_b_idx",
            "kitchens_x_aVeryLongFieldNameThatKeepsGoingAndGoingForever__key"
        ]
    );
    assert!(names.iter().all(|n| n.len() <= 63));
    assert_eq!(l.names.table("A"), Some(&QualifiedName::public("kitchens")));
    assert_eq!(l.names.column("A", "id"), Some("a_id"));
    assert_eq!(
        l.names.model_of_table(&QualifiedName::public("kitchens")),
        Some("A")
    );
    assert_eq!(
        l.names
            .field_of_column(&QualifiedName::public("kitchens"), "a_id"),
        Some("id")
    );
}

#[test]
fn type_mapping_follows_prisma() {
    let l = load(
        "model T {\n  id Int @id\n  a DateTime\n  b DateTime @db.Timestamptz\n  c DateTime @db.Timestamptz(6)\n  d Decimal\n  e String @db.VarChar(20)\n  f Float\n  g Json\n  h String[]\n  i Unsupported(\"circle\")?\n}\n",
    );
    let t = l.schema.table(&QualifiedName::public("T")).expect("table");
    let ty = |c: &str| t.column(c).map(|c| c.ty.clone());
    assert_eq!(ty("a"), Some(ColumnType::Timestamp(Some(3))));
    assert_eq!(ty("b"), Some(ColumnType::Timestamptz(None)));
    assert_eq!(ty("c"), Some(ColumnType::Timestamptz(Some(6))));
    assert_eq!(ty("d"), Some(ColumnType::Decimal(Some((65, 30)))));
    assert_eq!(ty("e"), Some(ColumnType::VarChar(Some(20))));
    assert_eq!(ty("f"), Some(ColumnType::DoublePrecision));
    assert_eq!(ty("g"), Some(ColumnType::Jsonb));
    assert_eq!(ty("h"), Some(ColumnType::Array(Box::new(ColumnType::Text))));
    assert_eq!(ty("i"), Some(ColumnType::Other("circle".into())));
    assert!(
        t.column("h").is_some_and(|c| c.nullable),
        "Prisma creates list columns without NOT NULL"
    );
    assert!(t.column("i").is_some_and(|c| c.nullable));
    assert!(t.column("a").is_some_and(|c| !c.nullable));
}

#[test]
fn defaults() {
    let l = load(
        "enum Role {\n  ADMIN\n  CLIENT @map(\"client\")\n}\nmodel T {\n  id Int @id @default(autoincrement())\n  r Role @default(CLIENT)\n  s String @default(\"a\\\"b\")\n  n Int @default(-1)\n  at DateTime @default(now())\n  u String @default(uuid())\n  g String @default(dbgenerated(\"gen_random_uuid()\"))\n  l Int[] @default([])\n  up DateTime @updatedAt\n}\n",
    );
    let t = l.schema.table(&QualifiedName::public("T")).expect("table");
    let d = |c: &str| t.column(c).and_then(|c| c.default.clone());
    assert_eq!(d("id"), Some(DefaultValue::Autoincrement));
    assert_eq!(d("r"), Some(DefaultValue::EnumValue("client".into())));
    assert_eq!(d("s"), Some(DefaultValue::String("a\"b".into())));
    assert_eq!(d("n"), Some(DefaultValue::Number("-1".into())));
    assert_eq!(d("at"), Some(DefaultValue::Now));
    assert_eq!(d("u"), None);
    assert_eq!(
        d("g"),
        Some(DefaultValue::Expression("gen_random_uuid()".into()))
    );
    assert_eq!(d("l"), Some(DefaultValue::List(vec![])));
    assert_eq!(d("up"), None);
    assert_eq!(l.names.enum_value("Role", "CLIENT"), Some("client"));
}

#[test]
fn foreign_keys_get_prisma_default_actions() {
    let l = load(
        "model U {\n  id Int @id\n  a P[] @relation(\"A\")\n  b P[] @relation(\"B\")\n}\nmodel P {\n  id Int @id\n  aId Int\n  bId Int?\n  a U @relation(\"A\", fields: [aId], references: [id])\n  b U? @relation(\"B\", fields: [bId], references: [id])\n}\n",
    );
    let t = l.schema.table(&QualifiedName::public("P")).expect("table");
    let a = t.foreign_key("P_aId_fkey").expect("fk a");
    assert_eq!(
        (a.on_delete, a.on_update),
        (ReferentialAction::Restrict, ReferentialAction::Cascade)
    );
    let b = t.foreign_key("P_bId_fkey").expect("fk b");
    assert_eq!(
        (b.on_delete, b.on_update),
        (ReferentialAction::SetNull, ReferentialAction::Cascade)
    );
}

#[test]
fn implicit_many_to_many_table() {
    let l = load(
        "model Tag {\n  id String @id\n  posts Post[]\n}\nmodel Post {\n  id Int @id\n  tags Tag[]\n}\n",
    );
    let t = l
        .schema
        .table(&QualifiedName::public("_PostToTag"))
        .expect("join table");
    assert_eq!(t.columns[0].ty, ColumnType::Integer);
    assert_eq!(t.columns[1].ty, ColumnType::Text);
    assert_eq!(
        t.primary_key.as_ref().map(|p| p.name.as_str()),
        Some("_PostToTag_AB_pkey")
    );
    assert_eq!(t.indexes[0].name, "_PostToTag_B_index");
    let fks: Vec<&str> = t.foreign_keys.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fks, ["_PostToTag_A_fkey", "_PostToTag_B_fkey"]);
    assert_eq!(
        schemadiff_dsl::join_table_name("Post", "Tag", None),
        "_PostToTag"
    );
}

#[test]
fn format_reports_syntax_errors_instead_of_formatting() {
    let err = schemadiff_dsl::format("model A {\n  id Int @id(\n}\n").expect_err("syntax error");
    assert_eq!(err[0].code, "syntax-error");
}

/// The printer lists what the language cannot express instead of leaving it out silently.
#[test]
fn printer_reports_foreign_keys_it_cannot_write_as_relations() {
    use schemadiff_model::*;
    let mut schema = Schema::empty();
    let mut parent = Table::new(QualifiedName::public("Parent"));
    parent.columns.push(Column {
        name: "id".into(),
        ty: ColumnType::Integer,
        nullable: false,
        default: None,
    });
    parent.columns.push(Column {
        name: "code".into(),
        ty: ColumnType::Text,
        nullable: false,
        default: None,
    });
    parent.primary_key = Some(PrimaryKey {
        name: "Parent_pkey".into(),
        columns: vec!["id".into()],
    });
    let mut child = Table::new(QualifiedName::public("Child"));
    child.columns.push(Column {
        name: "id".into(),
        ty: ColumnType::Integer,
        nullable: false,
        default: None,
    });
    child.columns.push(Column {
        name: "parentCode".into(),
        ty: ColumnType::Text,
        nullable: false,
        default: None,
    });
    child.columns.push(Column {
        name: "tags".into(),
        ty: ColumnType::Array(Box::new(ColumnType::Text)),
        nullable: false,
        default: None,
    });
    child.primary_key = Some(PrimaryKey {
        name: "Child_pkey".into(),
        columns: vec!["id".into()],
    });
    // `code` is not unique: no relation can reference it.
    child.foreign_keys.push(ForeignKey {
        name: "Child_parentCode_fkey".into(),
        columns: vec!["parentCode".into()],
        referenced_table: QualifiedName::public("Parent"),
        referenced_columns: vec!["code".into()],
        on_delete: ReferentialAction::Restrict,
        on_update: ReferentialAction::Cascade,
    });
    schema.add_table(parent);
    schema.add_table(child);
    let text = schemadiff_dsl::print_schema(&schema);
    assert!(text.contains("Not expressible"), "{text}");
    assert!(
        text.contains(
            "foreign key Child_parentCode_fkey on Child (parentCode) references Parent (code)"
        ),
        "{text}"
    );
    assert!(
        text.contains("list column Child.tags is NOT NULL"),
        "{text}"
    );
    let again = schemadiff_dsl::load("printed.prisma", &text);
    assert!(!again.has_errors(), "{text}");
}

/// An explicit operator class that is the default one for the column's type and the index
/// method is the index PostgreSQL builds without one (its catalog cannot tell them apart), so
/// the model holds no class; a non-default class is kept.
#[test]
fn default_operator_classes_are_not_kept() {
    let l = load(
        "model D {\n  id Int @id\n  tags String[]\n  body Json\n  meta Json\n  @@index([tags(ops: ArrayOps)], type: Gin)\n  @@index([body(ops: JsonbOps)], type: Gin)\n  @@index([meta(ops: JsonbPathOps)], type: Gin)\n}\n",
    );
    let t = l.schema.table(&QualifiedName::public("D")).expect("table");
    let classes: Vec<(&str, Option<&str>)> = t
        .indexes
        .iter()
        .map(|i| (i.name.as_str(), i.columns[0].opclass.as_deref()))
        .collect();
    assert_eq!(
        classes,
        [
            ("D_body_idx", None),
            ("D_meta_idx", Some("jsonb_path_ops")),
            ("D_tags_idx", None),
        ]
    );
}
