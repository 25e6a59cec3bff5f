package io.meridian;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;
import java.util.stream.Stream;

/**
 * The package arrows of the product, as intended (issue 14; docs/decisions.md, "Packages: arrows
 * one way"; docs/architecture.md): they run one way, from the leaves (topology, serialization,
 * metrics) through user, region and payment to http, and the composition root (cluster) on top. A
 * change that adds an arrow against them fails here, naming the class and the dependency; if the
 * new arrow is right, change the table here and the package's package-info together, and say why in
 * docs/decisions.md.
 *
 * <p>Checked on the compiled product classes (not the tests). The tools ({@code
 * io.meridian.tools..}) and the entry point {@code io.meridian.Main} may use anything; no product
 * package uses them.
 */
@AnalyzeClasses(
    packages = "io.meridian",
    importOptions = {ImportOption.DoNotIncludeTests.class, ImportOption.DoNotIncludeJars.class})
class PackageArrowsTest {

  /** The entry point and its nested classes. */
  private static final String MAIN = "io\\.meridian\\.Main(\\$.*)?";

  // ---------------------------------------------------------------- leaves

  @ArchTest static final ArchRule topologyIsALeaf = mayUseOnly("topology");

  @ArchTest static final ArchRule serializationIsALeaf = mayUseOnly("serialization");

  @ArchTest static final ArchRule metricsIsALeaf = mayUseOnly("metrics");

  @ArchTest static final ArchRule faultsIsALeaf = mayUseOnly("faults");

  @ArchTest static final ArchRule k8sDiscoveryIsALeaf = mayUseOnly("k8s");

  /**
   * The Java client of the HTTP API: for calling services, so it needs nothing of the server (JDK
   * HTTP client and Jackson only; the tools use it).
   */
  @ArchTest static final ArchRule clientIsALeaf = mayUseOnly("client");

  // ---------------------------------------------------------------- the rooms

  @ArchTest
  static final ArchRule replication = mayUseOnly("replication", "metrics", "serialization");

  @ArchTest
  static final ArchRule user =
      mayUseOnly("user", "topology", "replication", "metrics", "serialization");

  @ArchTest
  static final ArchRule region =
      mayUseOnly("region", "user", "topology", "metrics", "serialization");

  /**
   * Follow the sun: the schedules and the hand-off, which drives users through the gateway and
   * lists them from the journals as re-homing does.
   */
  @ArchTest
  static final ArchRule cohort =
      mayUseOnly("cohort", "region", "user", "topology", "metrics", "serialization");

  @ArchTest
  static final ArchRule payment = mayUseOnly("payment", "user", "region", "topology", "metrics");

  @ArchTest
  static final ArchRule http =
      mayUseOnly("http", "payment", "user", "region", "cohort", "faults", "topology", "metrics");

  /**
   * The persistence config lays out a journal per region; it knows nothing of what is stored in
   * them.
   */
  @ArchTest static final ArchRule cassandra = mayUseOnly("cassandra", "topology");

  /**
   * The composition root: builds a node from every product package (and so is the only place that
   * knows them all).
   */
  @ArchTest
  static final ArchRule cluster =
      mayUseOnly(
          "cluster",
          "topology",
          "serialization",
          "metrics",
          "faults",
          "k8s",
          "replication",
          "user",
          "region",
          "payment",
          "cohort",
          "http",
          "cassandra");

  // ---------------------------------------------------------------- as a whole

  @ArchTest
  static final ArchRule theProductNeverUsesTheTools =
      noClasses()
          .that()
          .resideOutsideOfPackage("io.meridian.tools..")
          .and()
          .haveNameNotMatching(MAIN)
          .should()
          .dependOnClassesThat()
          .resideInAPackage("io.meridian.tools..");

  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("io.meridian.(*)..").should().beFreeOfCycles();

  /** A new package must take its place in the table above (a rule of its own) before it builds. */
  @ArchTest
  static final ArchRule everyClassIsInAPackageOfTheTable =
      classes()
          .should()
          .resideInAnyPackage(
              packages(
                  "topology",
                  "serialization",
                  "metrics",
                  "faults",
                  "k8s",
                  "replication",
                  "user",
                  "region",
                  "payment",
                  "cohort",
                  "http",
                  "cassandra",
                  "cluster",
                  "client",
                  "tools"))
          .orShould()
          .haveNameMatching(MAIN);

  /**
   * Classes of {@code io.meridian.<pkg>} depend on no Meridian class outside {@code pkg} and {@code
   * mayUse}.
   */
  private static ArchRule mayUseOnly(String pkg, String... mayUse) {
    String[] allowed =
        packages(Stream.concat(Stream.of(pkg), Arrays.stream(mayUse)).toArray(String[]::new));
    return classes()
        .that()
        .resideInAPackage("io.meridian." + pkg + "..")
        .should()
        .onlyDependOnClassesThat(
            resideOutsideOfPackage("io.meridian..").or(resideInAnyPackage(allowed)))
        .as(
            pkg
                + (mayUse.length == 0
                    ? " is a leaf: it uses no other Meridian package"
                    : " uses no Meridian package but " + String.join(", ", mayUse)));
  }

  private static String[] packages(String... names) {
    return Arrays.stream(names).map(name -> "io.meridian." + name + "..").toArray(String[]::new);
  }
}
