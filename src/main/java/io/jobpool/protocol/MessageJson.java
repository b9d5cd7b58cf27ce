package io.jobpool.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * A {@link Message} as JSON, written and read field by field with Jackson's streaming API.
 *
 * <p>The text is what Jackson's data binding makes of the annotated records ({@code kind} first,
 * then the components in declaration order, nulls included), and reading takes the fields in any
 * order and skips unknown ones, so the Python worker, which speaks the same JSON, sees no
 * difference. Data binding was a large part of a Java worker's start: it introspects the
 * polymorphic records at the first frame. Without it a worker booting from its AOT cache is ready
 * in 298-338 ms instead of 367-400, runs its first job in 7-11 ms instead of 19-33, and idles at
 * 55 MiB RSS instead of 61 (bench/README.md). Decoding a result on the server costs less per job
 * too.
 */
final class MessageJson {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private MessageJson() {}

    static byte[] write(Message message) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(sizeHint(message));
        try (JsonGenerator out = FACTORY.createGenerator(ObjectWriteContext.empty(), bytes)) {
            out.writeStartObject();
            // A chain of instanceof, not a switch over the sealed type: a pattern switch makes the
            // JVM generate a class at its first use, which the AOT cache does not keep, and that
            // cost a booting worker 15 ms before its ready frame.
            if (message instanceof Message.Init m) {
                out.writeStringProperty("kind", "init");
                out.writeBooleanProperty("diagnostics", m.diagnostics());
                out.writeStringProperty("initializer", m.initializer());
                out.writeStringProperty("initializerArgs", m.initializerArgs());
                out.writeNumberProperty("maxResultBytes", m.maxResultBytes());
                out.writeStringProperty("outputToken", m.outputToken());
            } else if (message instanceof Message.Run m) {
                out.writeStringProperty("kind", "run");
                out.writeStringProperty("jobId", m.jobId());
                out.writeStringProperty("task", m.task());
                writeJsonText(out, "args", m.args());
                out.writeStringProperty("kwargs", m.kwargs());
                out.writeNumberProperty("attempt", m.attempt());
                out.writeBooleanProperty("chunk", m.chunk());
                out.writeStringProperty("previous", m.previous());
            } else if (message instanceof Message.Shutdown) {
                out.writeStringProperty("kind", "shutdown");
            } else if (message instanceof Message.Ready m) {
                out.writeStringProperty("kind", "ready");
                out.writeNumberProperty("pid", m.pid());
                out.writeName("tasks");
                if (m.tasks() == null) {
                    out.writeNull();
                } else {
                    out.writeStartArray();
                    for (Message.TaskInfo task : m.tasks()) {
                        out.writeStartObject();
                        out.writeStringProperty("name", task.name());
                        out.writeStringProperty("description", task.description());
                        out.writeEndObject();
                    }
                    out.writeEndArray();
                }
            } else if (message instanceof Message.Output m) {
                out.writeStringProperty("kind", "output");
                out.writeStringProperty("jobId", m.jobId());
                out.writeStringProperty("text", m.text());
            } else if (message instanceof Message.Progress m) {
                out.writeStringProperty("kind", "progress");
                out.writeStringProperty("jobId", m.jobId());
                out.writeNumberProperty("fraction", m.fraction());
                out.writeStringProperty("message", m.message());
            } else if (message instanceof Message.Succeeded m) {
                out.writeStringProperty("kind", "succeeded");
                out.writeStringProperty("jobId", m.jobId());
                writeJsonText(out, "result", m.result());
            } else if (message instanceof Message.Retiring m) {
                out.writeStringProperty("kind", "retiring");
                out.writeStringProperty("jobId", m.jobId());
                out.writeStringProperty("reason", m.reason());
            } else if (message instanceof Message.Failed m) {
                out.writeStringProperty("kind", "failed");
                out.writeStringProperty("jobId", m.jobId());
                out.writeStringProperty("type", m.type());
                out.writeStringProperty("message", m.message());
                out.writeStringProperty("trace", m.trace());
            } else {
                throw new IllegalArgumentException("not a protocol message: " + message);
            }
            out.writeEndObject();
        }
        return bytes.toByteArray();
    }

    /** Room for the message's long texts up front: a chunk's frame doubled its buffer nine times on the way to 70 KB. */
    private static int sizeHint(Message message) {
        int texts = 0;
        if (message instanceof Message.Run m) {
            texts = length(m.args()) + length(m.kwargs()) + length(m.previous());
        } else if (message instanceof Message.Succeeded m) {
            texts = length(m.result());
        }
        return 128 + texts + texts / 8;
    }

    private static int length(String text) {
        return text == null ? 0 : text.length();
    }

    /** Below this many chars a string is written the usual way: the check below pays off only for long ones. */
    private static final int PLAIN_CHECK_CHARS = 256;

    /**
     * A JSON text carried as a string field (a job's arguments, its result). A batch chunk's are
     * tens of kilobytes of digits, commas and brackets, and escaping them char by char was 8 % of
     * the server's CPU in a million-item map: a long ASCII text with nothing to escape is copied as
     * its bytes, which is the same output.
     */
    private static void writeJsonText(JsonGenerator out, String name, String text) {
        byte[] plain = text == null || text.length() < PLAIN_CHECK_CHARS ? null : plainAscii(text);
        if (plain == null) {
            out.writeStringProperty(name, text);
            return;
        }
        out.writeName(name);
        out.writeRawUTF8String(plain, 0, plain.length);
    }

    /**
     * The text's bytes if every char is printable ASCII other than a quote or backslash (nothing
     * JSON would escape), else {@code null}. Encoded first and checked as bytes: quicker than
     * charAt. Only ASCII encodes to one byte per char, except that a lone surrogate becomes '?',
     * so a '?' sends the text the usual way too.
     */
    private static byte[] plainAscii(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length != text.length()) {
            return null;
        }
        for (byte b : bytes) {
            if (b < 0 || NOT_PLAIN[b]) {
                return null;
            }
        }
        return bytes;
    }

    /** By ASCII code: what {@link #plainAscii} refuses, one lookup per byte. */
    private static final boolean[] NOT_PLAIN = new boolean[128];

    static {
        for (int c = 0; c < 0x20; c++) {
            NOT_PLAIN[c] = true;
        }
        for (char c : new char[] {0x7f, '"', '\\', '?'}) {
            NOT_PLAIN[c] = true;
        }
    }

    /** The message in {@code payload}; a {@link JacksonException} or {@link IllegalArgumentException} if it holds none. */
    static Message read(byte[] payload) {
        try (JsonParser in = FACTORY.createParser(ObjectReadContext.empty(), payload)) {
            Fields fields = new Fields();
            expect(in.nextToken(), JsonToken.START_OBJECT);
            for (JsonToken token = in.nextToken(); token != JsonToken.END_OBJECT; token = in.nextToken()) {
                expect(token, JsonToken.PROPERTY_NAME);
                String name = in.currentName();
                JsonToken value = in.nextToken();
                if (name.equals("tasks")) {
                    fields.tasks = value == JsonToken.VALUE_NULL ? null : tasks(in, value);
                } else if (value.isScalarValue()) {
                    fields.put(name, in, value);
                } else {
                    in.skipChildren(); // an unknown object or array: ignored, as unknown fields are
                }
            }
            if (fields.kind == null) {
                throw new IllegalArgumentException("no \"kind\"");
            }
            return switch (fields.kind) {
                case "init" -> new Message.Init(fields.bool("diagnostics"), fields.text("initializer"), fields.text("initializerArgs"),
                        fields.number("maxResultBytes"), fields.text("outputToken"));
                case "run" -> new Message.Run(fields.text("jobId"), fields.text("task"), fields.text("args"), fields.text("kwargs"),
                        (int) fields.number("attempt"), fields.bool("chunk"), fields.text("previous"));
                case "shutdown" -> new Message.Shutdown();
                case "ready" -> new Message.Ready(fields.number("pid"), fields.tasks);
                case "output" -> new Message.Output(fields.text("jobId"), fields.text("text"));
                case "progress" -> new Message.Progress(fields.text("jobId"), fields.fraction, fields.text("message"));
                case "succeeded" -> new Message.Succeeded(fields.text("jobId"), fields.text("result"));
                case "failed" -> new Message.Failed(fields.text("jobId"), fields.text("type"), fields.text("message"), fields.text("trace"));
                case "retiring" -> new Message.Retiring(fields.text("jobId"), fields.text("reason"));
                default -> throw new IllegalArgumentException("unknown kind \"" + fields.kind + "\"");
            };
        }
    }

    private static List<Message.TaskInfo> tasks(JsonParser in, JsonToken start) {
        expect(start, JsonToken.START_ARRAY);
        List<Message.TaskInfo> tasks = new ArrayList<>();
        for (JsonToken token = in.nextToken(); token != JsonToken.END_ARRAY; token = in.nextToken()) {
            expect(token, JsonToken.START_OBJECT);
            Fields task = new Fields();
            for (JsonToken field = in.nextToken(); field != JsonToken.END_OBJECT; field = in.nextToken()) {
                String name = in.currentName();
                JsonToken value = in.nextToken();
                if (value.isScalarValue()) {
                    task.put(name, in, value);
                } else {
                    in.skipChildren();
                }
            }
            tasks.add(new Message.TaskInfo(task.text("name"), task.text("description")));
        }
        return tasks;
    }

    private static void expect(JsonToken token, JsonToken expected) {
        if (token != expected) {
            throw new IllegalArgumentException("expected " + expected + " but found " + token);
        }
    }

    /** The scalar fields of one object as read; absent ones are null, 0 or false, as data binding made them. */
    private static final class Fields {
        private final java.util.Map<String, Object> values = new java.util.HashMap<>();
        String kind;
        double fraction;
        List<Message.TaskInfo> tasks;

        void put(String name, JsonParser in, JsonToken value) {
            Object read = switch (value) {
                case VALUE_STRING -> in.getString();
                case VALUE_NUMBER_INT -> in.getLongValue();
                case VALUE_NUMBER_FLOAT -> in.getDoubleValue();
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                default -> null;
            };
            if (name.equals("kind")) {
                kind = read instanceof String text ? text : null;
            } else if (name.equals("fraction")) {
                fraction = read instanceof Number number ? number.doubleValue() : 0;
            } else {
                values.put(name, read);
            }
        }

        String text(String name) {
            Object value = values.get(name);
            if (value == null || value instanceof String) {
                return (String) value;
            }
            throw new IllegalArgumentException("\"" + name + "\" is not a string");
        }

        long number(String name) {
            Object value = values.get(name);
            if (value == null || value instanceof Long) {
                return value == null ? 0 : (Long) value;
            }
            throw new IllegalArgumentException("\"" + name + "\" is not an integer");
        }

        boolean bool(String name) {
            Object value = values.get(name);
            if (value == null || value instanceof Boolean) {
                return Boolean.TRUE.equals(value);
            }
            throw new IllegalArgumentException("\"" + name + "\" is not a boolean");
        }
    }
}
