package io.jobpool;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Tests for the layering: what runs inside worker processes ({@code worker}, {@code protocol},
 * {@code spi}, {@code tasks}) uses no Spring, because the worker's class path has none.
 */
@AnalyzeClasses(packages = "io.jobpool", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule workerSideUsesNoSpring = noClasses()
            .that().resideInAnyPackage("io.jobpool.worker..", "io.jobpool.protocol..", "io.jobpool.spi..", "io.jobpool.tasks..",
                    "io.jobpool.process..")
            .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "io.micrometer..", "org.slf4j..")
            .because("worker processes start with only jobpool's classes and Jackson on their class path");

    @ArchTest
    static final ArchRule workerSideUsesNoServerCode = noClasses()
            .that().resideInAnyPackage("io.jobpool.worker..", "io.jobpool.protocol..", "io.jobpool.spi..", "io.jobpool.tasks..",
                    "io.jobpool.process..")
            .should().dependOnClassesThat().resideInAnyPackage("io.jobpool.api..", "io.jobpool.job..", "io.jobpool.store..",
                    "io.jobpool.pool..", "io.jobpool.node..", "io.jobpool.config..", "io.jobpool.metrics..", "io.jobpool.webhook..")
            .because("task code must never reach the server's internals");

    /**
     * Pool and worker-side code reads and writes process pipes, which block in native code: on a
     * virtual thread that pins the carrier, and a few idle workers then starve every request.
     */
    @ArchTest
    static final ArchRule processCodeStartsNoVirtualThreads = noClasses()
            .that().resideInAnyPackage("io.jobpool.pool..", "io.jobpool.worker..", "io.jobpool.protocol..", "io.jobpool.tasks..")
            .should().callMethod(Thread.class, "ofVirtual")
            .orShould().callMethod(Thread.class, "startVirtualThread", Runnable.class)
            .orShould().callMethod(java.util.concurrent.Executors.class, "newVirtualThreadPerTaskExecutor")
            .because("a pipe read or write on a virtual thread pins its carrier and starves the request threads");

    @ArchTest
    static final ArchRule poolKnowsNothingOfJobsOrTheStore = noClasses()
            .that().resideInAPackage("io.jobpool.pool..")
            .should().dependOnClassesThat().resideInAnyPackage("io.jobpool.job..", "io.jobpool.store..", "io.jobpool.api..")
            .because("the pool runs assignments; what a job is belongs to the job service");

    @ArchTest
    static final ArchRule jobCoreNeverReachesALocalPool = noClasses()
            .that().resideInAPackage("io.jobpool.job..")
            .should().dependOnClassesThat().resideInAnyPackage("io.jobpool.pool..", "io.jobpool.node..", "io.jobpool.store..",
                    "io.jobpool.api..", "io.jobpool.webhook..", "org.springframework.web..", "org.springframework.http..")
            .because("a command for the process running a job goes through the store to whichever replica runs it, "
                    + "and HTTP statuses are the API layer's business");

    @ArchTest
    static final ArchRule onlyTheNodeHoldsTheWorkerPool = noClasses()
            .that().resideOutsideOfPackages("io.jobpool.node..", "io.jobpool.pool..")
            .should().dependOnClassesThat().haveFullyQualifiedName("io.jobpool.pool.WorkerPool")
            .because("the worker pool belongs to one replica, and only the node package holds it");

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("io.jobpool.(*)..").should().beFreeOfCycles();
}
