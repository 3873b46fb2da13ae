-- Columns of every table of the requested schemas ($1), in attribute order.
-- full_type is format_type() of the column; for arrays, base_* describe the element type
-- (format_type of the element with the column's typmod, so varchar(10)[] gives
-- "character varying(10)"), otherwise the column type itself. base_kind 'e' marks an enum.
-- default_expr is pg_get_expr() of the default; owned_sequence is true when that default
-- uses a sequence owned by this very column (serial / bigserial / OWNED BY).
SELECT n.nspname::text AS schema_name,
       c.relname::text AS table_name,
       a.attname::text AS column_name,
       format_type(a.atttypid, a.atttypmod) AS full_type,
       (t.typcategory = 'A' AND t.typelem <> 0) AS is_array,
       format_type(bt.oid, a.atttypmod) AS base_type,
       bt.typtype::text AS base_kind,
       btn.nspname::text AS base_schema,
       bt.typname::text AS base_name,
       a.attnotnull AS not_null,
       pg_get_expr(ad.adbin, ad.adrelid) AS default_expr,
       a.attidentity::text AS identity,
       a.attgenerated::text AS generated,
       -- The sequence must be a sequence: before PostgreSQL 15 a stored generated column's
       -- dependency on this column is also an 'a' row of pg_class (table on itself), which
       -- the default's dependency on its own table would otherwise match.
       EXISTS (SELECT 1
               FROM pg_depend dd
               JOIN pg_class s ON s.oid = dd.refobjid AND s.relkind = 'S'
               JOIN pg_depend od ON od.classid = 'pg_class'::regclass AND od.objid = dd.refobjid
               WHERE dd.classid = 'pg_attrdef'::regclass AND dd.objid = ad.oid
                 AND dd.refclassid = 'pg_class'::regclass
                 AND od.refclassid = 'pg_class'::regclass AND od.refobjid = c.oid
                 AND od.refobjsubid = a.attnum AND od.deptype = 'a') AS owned_sequence,
       -- What the model does not hold, reported as not managed: a collation other than the
       -- type's own, a STORAGE other than the type's.
       (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
        FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
        WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation) AS other_collation,
       CASE WHEN a.attstorage <> t.typstorage
            THEN CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL'
                                   WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END AS other_storage
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0
                                 THEN t.typelem ELSE t.oid END
JOIN pg_namespace btn ON btn.oid = bt.typnamespace
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE n.nspname = ANY($1::text[])
  AND c.relkind IN ('r', 'p')
  AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY n.nspname, c.relname, a.attnum
