CREATE TABLE "import_job_files" (
	"job_id" uuid NOT NULL,
	"path" text NOT NULL,
	"action" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "import_job_files_job_id_path_pk" PRIMARY KEY("job_id","path")
);
--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "skipped" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_job_files" ADD CONSTRAINT "import_job_files_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "import_errors_job_path_stage_key" ON "import_errors" USING btree ("job_id","path","stage");--> statement-breakpoint
-- Catalogs written before this constraint may hold the same album twice: merge them first.
WITH ranked AS (
	SELECT id, first_value(id) OVER (PARTITION BY title, album_artist_id ORDER BY id) AS keep FROM albums
)
UPDATE "tracks" t SET album_id = r.keep FROM ranked r WHERE t.album_id = r.id AND r.id <> r.keep;--> statement-breakpoint
DELETE FROM "albums" a USING (
	SELECT id, first_value(id) OVER (PARTITION BY title, album_artist_id ORDER BY id) AS keep FROM albums
) r WHERE a.id = r.id AND r.id <> r.keep;--> statement-breakpoint
ALTER TABLE "albums" ADD CONSTRAINT "albums_title_artist_key" UNIQUE NULLS NOT DISTINCT("title","album_artist_id");