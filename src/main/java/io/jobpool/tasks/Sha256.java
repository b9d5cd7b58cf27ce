package io.jobpool.tasks;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Returns the lowercase hex SHA-256 digest of the UTF-8 bytes of a string. */
public final class Sha256 implements Task {
    @Override
    public String name() {
        return "sha256";
    }

    @Override
    public String description() {
        return "Returns the hex SHA-256 digest of a string (UTF-8).";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) throws NoSuchAlgorithmException {
        arguments.onlyParameters("sha256", "data");
        byte[] data = arguments.string(0, "data").getBytes(StandardCharsets.UTF_8);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
