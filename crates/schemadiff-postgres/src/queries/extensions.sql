-- Installed extensions (plpgsql, which every database has, left out), in any schema: the
-- model compares them with a datasource's `extensions` list. The parameter (the schemas read)
-- is not needed here; it is named only because every introspection query takes it.
SELECT e.extname::text,
       n.nspname::text,
       e.extversion::text
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
  AND cardinality($1::text[]) >= 0
ORDER BY e.extname
