CREATE TABLE "albums" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" text NOT NULL,
	"album_artist_id" uuid,
	"year" integer,
	"compilation" boolean DEFAULT false NOT NULL,
	"musicbrainz_release_id" text,
	"genres" text[] DEFAULT '{}' NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED
);
--> statement-breakpoint
CREATE TABLE "artists" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"sort_name" text NOT NULL,
	"musicbrainz_artist_id" text,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', name)) STORED
);
--> statement-breakpoint
CREATE TABLE "import_errors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"job_id" uuid NOT NULL,
	"path" text NOT NULL,
	"stage" text NOT NULL,
	"reason" text NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "import_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"library_id" uuid NOT NULL,
	"mode" text NOT NULL,
	"status" text DEFAULT 'QUEUED' NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "libraries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"path" text NOT NULL,
	"status" text DEFAULT 'ONLINE' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_scanned_at" timestamp with time zone,
	CONSTRAINT "libraries_path_unique" UNIQUE("path")
);
--> statement-breakpoint
CREATE TABLE "track_artists" (
	"track_id" uuid NOT NULL,
	"artist_id" uuid NOT NULL,
	"role" text NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "track_artists_track_id_position_pk" PRIMARY KEY("track_id","position")
);
--> statement-breakpoint
CREATE TABLE "tracks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"library_id" uuid NOT NULL,
	"album_id" uuid,
	"album_artist_id" uuid,
	"title" text NOT NULL,
	"disc_number" integer,
	"track_number" integer,
	"duration" real,
	"genres" text[] DEFAULT '{}' NOT NULL,
	"year" integer,
	"isrc" text,
	"musicbrainz_recording_id" text,
	"musicbrainz_track_id" text,
	"file_path" text NOT NULL,
	"file_size" bigint NOT NULL,
	"format" text NOT NULL,
	"codec" text,
	"container" text,
	"bitrate" integer,
	"sample_rate" integer,
	"channels" integer,
	"bits_per_sample" integer,
	"lossless" boolean DEFAULT false NOT NULL,
	"content_hash" text,
	"file_mtime" timestamp with time zone,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED
);
--> statement-breakpoint
ALTER TABLE "albums" ADD CONSTRAINT "albums_album_artist_id_artists_id_fk" FOREIGN KEY ("album_artist_id") REFERENCES "public"."artists"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_errors" ADD CONSTRAINT "import_errors_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD CONSTRAINT "import_jobs_library_id_libraries_id_fk" FOREIGN KEY ("library_id") REFERENCES "public"."libraries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "track_artists" ADD CONSTRAINT "track_artists_track_id_tracks_id_fk" FOREIGN KEY ("track_id") REFERENCES "public"."tracks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "track_artists" ADD CONSTRAINT "track_artists_artist_id_artists_id_fk" FOREIGN KEY ("artist_id") REFERENCES "public"."artists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_library_id_libraries_id_fk" FOREIGN KEY ("library_id") REFERENCES "public"."libraries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_album_id_albums_id_fk" FOREIGN KEY ("album_id") REFERENCES "public"."albums"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_album_artist_id_artists_id_fk" FOREIGN KEY ("album_artist_id") REFERENCES "public"."artists"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "albums_title_idx" ON "albums" USING btree ("title","id");--> statement-breakpoint
CREATE INDEX "albums_artist_idx" ON "albums" USING btree ("album_artist_id");--> statement-breakpoint
CREATE INDEX "albums_search_idx" ON "albums" USING gin ("search");--> statement-breakpoint
CREATE INDEX "albums_title_trgm_idx" ON "albums" USING gin ("title" gin_trgm_ops);--> statement-breakpoint
CREATE UNIQUE INDEX "artists_name_key" ON "artists" USING btree ("name");--> statement-breakpoint
CREATE INDEX "artists_sort_idx" ON "artists" USING btree ("sort_name","id");--> statement-breakpoint
CREATE INDEX "artists_search_idx" ON "artists" USING gin ("search");--> statement-breakpoint
CREATE INDEX "artists_name_trgm_idx" ON "artists" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "import_errors_job_idx" ON "import_errors" USING btree ("job_id","occurred_at");--> statement-breakpoint
CREATE INDEX "import_jobs_library_idx" ON "import_jobs" USING btree ("library_id","created_at");--> statement-breakpoint
CREATE INDEX "track_artists_artist_idx" ON "track_artists" USING btree ("artist_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tracks_library_path_key" ON "tracks" USING btree ("library_id","file_path");--> statement-breakpoint
CREATE INDEX "tracks_title_idx" ON "tracks" USING btree ("title","id");--> statement-breakpoint
CREATE INDEX "tracks_added_idx" ON "tracks" USING btree ("added_at","id");--> statement-breakpoint
CREATE INDEX "tracks_year_idx" ON "tracks" USING btree (coalesce("year", -1),"id");--> statement-breakpoint
CREATE INDEX "tracks_duration_idx" ON "tracks" USING btree (coalesce("duration", -1),"id");--> statement-breakpoint
CREATE INDEX "tracks_album_idx" ON "tracks" USING btree ("album_id");--> statement-breakpoint
CREATE INDEX "tracks_library_idx" ON "tracks" USING btree ("library_id");--> statement-breakpoint
CREATE INDEX "tracks_hash_idx" ON "tracks" USING btree ("content_hash");--> statement-breakpoint
CREATE INDEX "tracks_genres_idx" ON "tracks" USING gin ("genres");--> statement-breakpoint
CREATE INDEX "tracks_search_idx" ON "tracks" USING gin ("search");--> statement-breakpoint
CREATE INDEX "tracks_title_trgm_idx" ON "tracks" USING gin ("title" gin_trgm_ops);