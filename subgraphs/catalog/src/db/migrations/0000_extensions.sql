-- Trigram similarity for typo-tolerant search (PostgreSQL contrib, part of Debian's server package).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
