package io.jobpool.pool;

/**
 * What a running job printed, kept up to {@code jobpool.jobs.max-log-bytes} counted in UTF-8
 * bytes (as the log is stored and sent), then cut off with a note saying so. Used by the pool's
 * supervisor thread only.
 */
final class JobLog {

    private final int maxBytes;
    private final StringBuilder text = new StringBuilder();
    private long bytes;
    private boolean cut;

    JobLog(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    void append(String output) {
        if (cut) {
            return;
        }
        // The store keeps U+0000 as U+FFFD (PostgreSQL's text cannot hold it): three bytes, not one,
        // so it is replaced here, where the bound is counted, and a running job's log reads the same.
        String more = output.indexOf('\0') < 0 ? output : output.replace('\0', '\uFFFD');
        long room = maxBytes - bytes;
        int kept = 0;
        long keptBytes = 0;
        while (kept < more.length()) {
            // A surrogate pair is one character of four bytes, kept or cut whole.
            int width = Character.isHighSurrogate(more.charAt(kept)) && kept + 1 < more.length()
                    && Character.isLowSurrogate(more.charAt(kept + 1)) ? 2 : 1;
            long size = width == 2 ? 4 : utf8Bytes(more.charAt(kept));
            if (keptBytes + size > room) {
                break;
            }
            keptBytes += size;
            kept += width;
        }
        text.append(more, 0, kept);
        bytes += keptBytes;
        if (kept < more.length()) {
            text.append("\n[jobpool: log cut at ").append(maxBytes).append(" bytes]\n");
            cut = true;
        }
    }

    private static int utf8Bytes(char c) {
        return c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
