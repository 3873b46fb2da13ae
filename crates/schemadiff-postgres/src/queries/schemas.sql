-- Which of the requested schemas ($1) exist, so a caller can warn about a misspelled
-- `?schema=` instead of reporting every object as missing. One row per existing schema.
SELECT n.nspname::text AS schema_name
FROM pg_namespace n
WHERE n.nspname = ANY($1::text[])
ORDER BY 1
