-- Ordinary and partitioned tables of the requested schemas ($1), with what makes a table
-- unmanageable: being partitioned, being a partition, or inheriting from another table.
-- `_prisma_migrations` (Prisma's migration history) is never read.
-- Tables owned by an extension are left out. One row per table.
SELECT n.nspname::text AS schema_name,
       c.relname::text AS table_name,
       c.relkind::text AS relkind,
       c.relispartition AS is_partition,
       (SELECT string_agg(quote_ident(pn.nspname) || '.' || quote_ident(p.relname), ', '
                          ORDER BY i.inhseqno)
        FROM pg_inherits i
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE i.inhrelid = c.oid) AS parents,
       -- Reported as not managed: UNLOGGED, storage parameters (fillfactor…).
       c.relpersistence = 'u' AS unlogged,
       array_to_string(c.reloptions, ', ') AS options
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND c.relkind IN ('r', 'p')
  AND c.relname <> '_prisma_migrations'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
