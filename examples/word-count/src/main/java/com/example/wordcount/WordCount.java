package com.example.wordcount;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the words of a text: {@code {"task": "word-count", "args": ["the cat and the hat"]}}
 * returns {@code {"words": 5, "counts": {"and": 1, "cat": 1, "hat": 1, "the": 2}}}.
 */
public final class WordCount implements Task {

    @Override
    public String name() {
        return "word-count";
    }

    @Override
    public String description() {
        return "Counts the words of a text (example plugin).";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        // An argument no parameter takes is a mistake of the caller: refused (TypeError in Python), not dropped.
        arguments.onlyParameters("word-count", "text");
        String text = arguments.string(0, "text");
        Map<String, Integer> counts = new TreeMap<>();
        int words = 0;
        for (String word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}']+")) {
            if (!word.isEmpty()) {
                counts.merge(word, 1, Integer::sum);
                words++;
            }
        }
        context.log("job " + context.jobId() + " counted " + words + " words");
        context.progress(1, words + " words counted");
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("words", words);
        result.put("counts", counts);
        return result;
    }
}
