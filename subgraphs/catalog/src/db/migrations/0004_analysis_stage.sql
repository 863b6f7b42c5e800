ALTER TABLE "import_job_files" ADD COLUMN "analysis_state" text;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "analysis_total" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "analysis_done" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "analysis_failed" integer DEFAULT 0 NOT NULL;