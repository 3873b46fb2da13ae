-- Everything else in the requested schemas ($1) that the model does not manage, as
-- (kind, schema, name, table, detail) rows: views, materialized views, foreign tables,
-- sequences not owned by a column, standalone composite types, domains, range types,
-- functions / procedures / aggregates, triggers, policies, row level security, rules and
-- extensions. Objects that belong to an extension are left out (the extension is listed).
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
SELECT 'extension',
       n.nspname::text,
       e.extname::text,
       NULL::text,
       'version ' || e.extversion
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE n.nspname = ANY($1::text[])
ORDER BY 2, 1, 3
