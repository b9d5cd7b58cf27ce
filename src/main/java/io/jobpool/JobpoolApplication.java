package io.jobpool;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The jobpool server: HTTP API, store and the supervisor of the worker processes. */
@SpringBootApplication
public class JobpoolApplication {

    public static void main(String[] args) {
        SpringApplication.run(JobpoolApplication.class, args);
    }
}
