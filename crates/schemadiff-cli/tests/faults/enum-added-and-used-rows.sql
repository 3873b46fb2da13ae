INSERT INTO "Item" (id, color, size, note) VALUES
  (1, 'RED', 'small', 'first'),
  (2, 'GREEN', 'Large', NULL),
  (3, DEFAULT, 'MEDIUM', 'third'),
  (4, 'GREEN', 'large', '');
