-- Indexes of every table of the requested schemas ($1), one row per key column, in key order.
-- Includes the indexes behind primary keys and unique constraints (constraint_type 'p'/'u';
-- 'x' for exclusion constraints). column_name is NULL for an expression column.
-- key_option is indoption (bit 1: DESC, bit 2: NULLS FIRST); opclass_default tells whether
-- the operator class is the default one for its type; other_collation flags a collation
-- different from the column's; deferrable is set for a DEFERRABLE primary key or unique
-- constraint; options are its storage parameters (fillfactor…).
SELECT n.nspname::text AS schema_name,
       t.relname::text AS table_name,
       i.relname::text AS index_name,
       ix.indisunique AS is_unique,
       ix.indisprimary AS is_primary,
       am.amname::text AS method,
       (ix.indpred IS NOT NULL) AS is_partial,
       (ix.indnatts > ix.indnkeyatts) AS has_include,
       ix.indisvalid AS is_valid,
       con.contype::text AS constraint_type,
       pg_get_indexdef(ix.indexrelid) AS definition,
       k.pos AS key_position,
       a.attname::text AS column_name,
       ix.indoption[k.pos - 1] AS key_option,
       opc.opcname::text AS opclass,
       opc.opcdefault AS opclass_default,
       (a.attname IS NOT NULL AND ix.indcollation[k.pos - 1] <> 0
        AND ix.indcollation[k.pos - 1] <> coalesce(a.attcollation, 0)) AS other_collation,
       coalesce(con.condeferrable, false) AS deferrable,
       array_to_string(i.reloptions, ', ') AS options
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = i.relam
LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid
                           AND con.contype IN ('p', 'u', 'x')
CROSS JOIN LATERAL generate_series(1, ix.indnkeyatts::int) AS k(pos)
LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ix.indkey[k.pos - 1]
                        AND ix.indkey[k.pos - 1] <> 0
JOIN pg_opclass opc ON opc.oid = ix.indclass[k.pos - 1]
WHERE n.nspname = ANY($1::text[])
  AND t.relkind IN ('r', 'p')
ORDER BY n.nspname, t.relname, i.relname, k.pos
