-- Enum types of the requested schemas ($1), with their labels in PostgreSQL's sort order
-- (enumsortorder, which reflects ADD VALUE ... BEFORE/AFTER). Types owned by an extension
-- are left out. One row per enum.
SELECT n.nspname::text AS schema_name,
       t.typname::text AS enum_name,
       array(SELECT e.enumlabel::text
             FROM pg_enum e
             WHERE e.enumtypid = t.oid
             ORDER BY e.enumsortorder) AS labels
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = ANY($1::text[])
  AND t.typtype = 'e'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2
