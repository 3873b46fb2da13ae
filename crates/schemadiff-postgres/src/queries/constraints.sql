-- Foreign keys, CHECK and EXCLUDE constraints of every table of the requested schemas ($1).
-- Columns are listed in constraint order (conkey / confkey). Rows a partitioned parent
-- propagates to partitions (conparentid <> 0) are left out: they belong to the parent.
-- Primary keys and unique constraints come from indexes.sql; NOT NULL from columns.sql.
SELECT n.nspname::text AS schema_name,
       t.relname::text AS table_name,
       c.conname::text AS constraint_name,
       c.contype::text AS constraint_type,
       array(SELECT a.attname::text
             FROM unnest(c.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num
             ORDER BY k.ord) AS columns,
       rn.nspname::text AS ref_schema,
       r.relname::text AS ref_table,
       array(SELECT a.attname::text
             FROM unnest(c.confkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num
             ORDER BY k.ord) AS ref_columns,
       c.confdeltype::text AS on_delete,
       c.confupdtype::text AS on_update,
       c.condeferrable AS deferrable,
       c.convalidated AS validated,
       c.confmatchtype::text AS match_type,
       pg_get_constraintdef(c.oid) AS definition
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_class r ON r.oid = c.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND t.relkind IN ('r', 'p')
  AND c.contype IN ('f', 'c', 'x')
  AND c.conparentid = 0
ORDER BY 1, 2, 3
