package dev.gearbox.testkit;

/**
 * The contract every backend passes: extend it, implement {@link #configure}, and the backend is
 * held to the invariants in docs/design.md. Tests that need a capability the backend lacks (queueing
 * behind a bounded pool, killing) are skipped by assumption, never weakened.
 *
 * <p>Tasks are serializable lambdas from {@link ContractTasks}; they coordinate with the test
 * through {@link Signals} files, so the same suite runs against worker processes. Every wait is
 * an Awaitility condition or a future's {@code get} with a bound; nothing sleeps "long enough".
 *
 * <p>The tests sit in one interface per concern, as default methods; this class is the fixture
 * ({@link ContractBase}) with every concern, so a backend's test class runs them all, under its
 * own name. A test class that wants one concern alone extends {@link ContractBase} and implements
 * that concern's interface.
 */
public abstract class EngineContract extends ContractBase
    implements ResultsContract,
        CancellationContract,
        TimeoutsContract,
        RetriesContract,
        MapContract,
        AdmissionContract,
        NestedWaitContract,
        LifecycleContract,
        EventsContract,
        ExecutorViewContract,
        ConfigurationContract,
        ScopesContract,
        ChannelsContract,
        ContextContract,
        SnapshotContract,
        MapProgressContract,
        WorkerInitializerContract,
        SerializationCheckContract {}
