-- Everything else in the requested schemas ($1) that the model does not manage, as
-- (kind, schema, name, table, detail) rows: views, materialized views, foreign tables,
-- sequences not owned by a column, standalone composite types, domains, range types,
-- functions / procedures / aggregates, triggers, policies, row level security and rules;
-- comments; sequence options; tables in schemas that are not read. Objects that belong to an
-- extension are left out. Extensions themselves are managed (extensions.sql, the datasource's
-- `extensions` list), so they are not listed here a second time.
-- table_name is set for objects that hang off a table, so excluded tables can be skipped.
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                      WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence' ELSE 'type' END AS kind,
       n.nspname::text AS schema_name,
       c.relname::text AS name,
       NULL::text AS table_name,
       CASE c.relkind WHEN 'S' THEN 'sequence not owned by a column'
                      WHEN 'c' THEN 'composite type'
                      WHEN 'f' THEN 'foreign table'
                      ELSE pg_get_viewdef(c.oid) END AS detail
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND c.relkind IN ('v', 'm', 'f', 'S', 'c')
  AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
                                       WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                         AND d.refclassid = 'pg_class'::regclass
                                         AND d.deptype IN ('a', 'i')))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END,
       n.nspname::text,
       t.typname::text,
       NULL::text,
       CASE t.typtype WHEN 'd' THEN 'domain over ' || format_type(t.typbasetype, t.typtypmod)
                      ELSE 'range type' END
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = ANY($1::text[])
  AND t.typtype IN ('d', 'r')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                      WHEN 'w' THEN 'window function' ELSE 'function' END,
       n.nspname::text,
       p.proname::text,
       NULL::text,
       -- PostgreSQL 14+ writes a procedure's argument modes ("IN n integer"), 13 does not:
       -- the IN mode (the default) is left out so that every version gives the same text.
       p.proname::text || '(' || CASE p.prokind
         WHEN 'p' THEN regexp_replace(pg_get_function_identity_arguments(p.oid), '(^|, )IN ', '\1', 'g')
         ELSE pg_get_function_identity_arguments(p.oid) END || ')'
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'trigger',
       n.nspname::text,
       c.relname::text || '.' || tg.tgname::text,
       c.relname::text,
       pg_get_triggerdef(tg.oid)
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND NOT tg.tgisinternal
UNION ALL
SELECT 'policy',
       pol.schemaname::text,
       pol.tablename::text || '.' || pol.policyname::text,
       pol.tablename::text,
       lower(pol.permissive) || ' for ' || lower(pol.cmd)
         || coalesce(' using (' || pol.qual || ')', '')
         || coalesce(' with check (' || pol.with_check || ')', '')
FROM pg_policies pol
WHERE pol.schemaname = ANY($1::text[])
UNION ALL
SELECT 'row level security',
       n.nspname::text,
       c.relname::text,
       c.relname::text,
       CASE WHEN c.relforcerowsecurity THEN 'enabled and forced' ELSE 'enabled' END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND c.relrowsecurity
UNION ALL
SELECT 'rule',
       n.nspname::text,
       c.relname::text || '.' || rw.rulename::text,
       c.relname::text,
       pg_get_ruledef(rw.oid)
FROM pg_rewrite rw
JOIN pg_class c ON c.oid = rw.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND rw.rulename <> '_RETURN'
UNION ALL
-- Comments (COMMENT ON) on tables, columns, indexes, constraints and types.
SELECT 'comment',
       n.nspname::text,
       c.relname::text || coalesce('.' || a.attname::text, ''),
       coalesce(it.relname, c.relname)::text,
       'COMMENT ON ' || CASE WHEN a.attname IS NOT NULL THEN 'COLUMN'
                             WHEN c.relkind = 'i' THEN 'INDEX' ELSE 'TABLE' END
         || ' not represented in the model: ' || d.description
FROM pg_description d
JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
LEFT JOIN pg_index ix ON ix.indexrelid = c.oid
LEFT JOIN pg_class it ON it.oid = ix.indrelid
WHERE n.nspname = ANY($1::text[])
  AND c.relkind IN ('r', 'p', 'i')
  AND NOT EXISTS (SELECT 1 FROM pg_depend e
                  WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
UNION ALL
SELECT 'comment',
       n.nspname::text,
       t.relname::text || '.' || co.conname::text,
       t.relname::text,
       'COMMENT ON CONSTRAINT not represented in the model: ' || d.description
FROM pg_description d
JOIN pg_constraint co ON d.classoid = 'pg_constraint'::regclass AND d.objoid = co.oid
JOIN pg_class t ON t.oid = co.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = ANY($1::text[])
UNION ALL
SELECT 'comment',
       n.nspname::text,
       ty.typname::text,
       NULL::text,
       'COMMENT ON TYPE not represented in the model: ' || d.description
FROM pg_description d
JOIN pg_type ty ON d.classoid = 'pg_type'::regclass AND d.objoid = ty.oid
JOIN pg_namespace n ON n.oid = ty.typnamespace
WHERE n.nspname = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_depend e
                  WHERE e.classid = 'pg_type'::regclass AND e.objid = ty.oid AND e.deptype = 'e')
UNION ALL
-- Options of the sequence behind a serial or identity column that differ from what
-- `autoincrement()` creates (start 1, increment 1, min 1, max of its type, cache 1, no cycle,
-- the column's type).
SELECT 'sequence option',
       n.nspname::text,
       s.relname::text,
       t.relname::text,
       'options of the sequence of ' || t.relname || '.' || a.attname
         || ' not represented in the model: ' || o.opts
FROM pg_sequence sq
JOIN pg_class s ON s.oid = sq.seqrelid
JOIN pg_namespace n ON n.oid = s.relnamespace
JOIN pg_depend dp ON dp.classid = 'pg_class'::regclass AND dp.objid = s.oid
                 AND dp.refclassid = 'pg_class'::regclass AND dp.deptype IN ('a', 'i')
                 AND dp.refobjsubid > 0
JOIN pg_class t ON t.oid = dp.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = dp.refobjsubid
CROSS JOIN LATERAL (
  SELECT concat_ws(', ',
           CASE WHEN sq.seqtypid <> a.atttypid THEN 'AS ' || format_type(sq.seqtypid, NULL) END,
           CASE WHEN sq.seqincrement <> 1 THEN 'INCREMENT ' || sq.seqincrement END,
           CASE WHEN sq.seqmin <> 1 THEN 'MINVALUE ' || sq.seqmin END,
           CASE WHEN sq.seqmax <> CASE sq.seqtypid WHEN 'int2'::regtype THEN 32767
                                                   WHEN 'int4'::regtype THEN 2147483647
                                                   ELSE 9223372036854775807 END
                THEN 'MAXVALUE ' || sq.seqmax END,
           CASE WHEN sq.seqstart <> 1 THEN 'START ' || sq.seqstart END,
           CASE WHEN sq.seqcache <> 1 THEN 'CACHE ' || sq.seqcache END,
           CASE WHEN sq.seqcycle THEN 'CYCLE' END) AS opts) o
WHERE n.nspname = ANY($1::text[])
  AND o.opts <> ''
UNION ALL
-- Tables in schemas that are not read (neither named in the URL nor used by the other side):
-- listed so that a difference there is never silent. Prisma's `_prisma_migrations` is not.
SELECT 'table',
       n.nspname::text,
       c.relname::text,
       c.relname::text,
       'in schema ' || n.nspname || ', which is not compared (name it with ?schema= or @@schema)'
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT (n.nspname = ANY($1::text[]))
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND n.nspname NOT IN ('information_schema')
  AND n.nspname NOT LIKE 'pg\_%'
  AND c.relname <> '_prisma_migrations'
  AND NOT EXISTS (SELECT 1 FROM pg_depend e
                  WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY 2, 1, 3
