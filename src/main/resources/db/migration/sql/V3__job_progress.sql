-- What a running task last reported through TaskContext.progress(fraction, message).
ALTER TABLE jobs ADD COLUMN progress DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN progress_message VARCHAR(1000);
