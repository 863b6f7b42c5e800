ALTER TABLE "albums" ADD COLUMN "musicbrainz_title" text;--> statement-breakpoint
ALTER TABLE "albums" ADD COLUMN "cover_path" text;--> statement-breakpoint
ALTER TABLE "albums" ADD COLUMN "cover_source" text;--> statement-breakpoint
ALTER TABLE "tracks" ADD COLUMN "musicbrainz_title" text;--> statement-breakpoint
ALTER TABLE "tracks" ADD COLUMN "musicbrainz_artist_credit" text;--> statement-breakpoint
ALTER TABLE "tracks" ADD COLUMN "musicbrainz_artist_ids" text[];--> statement-breakpoint
ALTER TABLE "tracks" ADD COLUMN "enrichment_status" text;--> statement-breakpoint
ALTER TABLE "tracks" ADD COLUMN "enrichment_score" real;--> statement-breakpoint
ALTER TABLE "tracks" ADD COLUMN "enrichment_candidates" jsonb;--> statement-breakpoint
ALTER TABLE "tracks" ADD COLUMN "enriched_at" timestamp with time zone;