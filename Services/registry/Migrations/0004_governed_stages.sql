-- Stages are governed like aliases. Moving a version into a protected stage (a model's
-- protected_stages, default Production) opens a promotion of the stage's alias, its name in
-- lowercase (Production -> production); when governance grants it, the alias moves and the
-- version enters the stage (archiving the stage's other versions if the request asked to).
ALTER TABLE models ADD COLUMN protected_stages text[] NOT NULL DEFAULT ARRAY['Production'];
ALTER TABLE promotions ADD COLUMN stage text CHECK (stage IN ('Staging', 'Production', 'Archived'));
ALTER TABLE promotions ADD COLUMN archive_existing boolean NOT NULL DEFAULT false;
