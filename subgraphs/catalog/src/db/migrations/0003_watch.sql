ALTER TABLE "libraries" ADD COLUMN "watch_mode" text DEFAULT 'OFF' NOT NULL;--> statement-breakpoint
ALTER TABLE "libraries" ADD COLUMN "watch_reason" text;