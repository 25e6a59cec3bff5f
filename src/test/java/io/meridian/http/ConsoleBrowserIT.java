package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.cluster.FreePorts;
import io.meridian.tools.chaos.Endpoints;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in a real browser (issue 16): a headless Chromium, driven by Selenium
 * through Debian's chromedriver, against a running three-region system started as {@code ./meridian
 * demo} starts it (real processes, restarted when they exit). The grid shows three regions up; the
 * lag matrix shows numbers; a drill started from the page shows the drilled region down, then back
 * and handed its users back, and passes; a user's lookup shows its replicas and its ownership
 * history. A screenshot of each step goes to {@code target/console-screenshots/}.
 *
 * <p>Without a browser the test is skipped, naming the packages to install (.ci/run installs them).
 */
class ConsoleBrowserIT {
  private static final Path PROJECT =
      Path.of(System.getProperty("meridian.project.dir", ".")).toAbsolutePath();
  private static final Path SCREENSHOTS = PROJECT.resolve("target/console-screenshots");
  private static final List<String> CHROMIUM =
      List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
  private static final List<String> CHROMEDRIVER =
      List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

  private static final Path DEMO_LOG = PROJECT.resolve("target/console-it-demo.log");
  private static final String ADMIN_TOKEN = "console-it-admin-token";
  private static final String API_TOKEN = "console-it-api-token";
  private static Process demo;
  private static List<ProcessHandle> descendants = List.of();
  private static Endpoints endpoints;
  private static WebDriver browser;
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static Optional<String> firstExisting(String variable, List<String> candidates) {
    String given = System.getenv(variable);
    if (given != null && new File(given).canExecute()) return Optional.of(given);
    return candidates.stream().filter(path -> new File(path).canExecute()).findFirst();
  }

  @BeforeAll
  static void startSystemAndBrowser() throws Exception {
    Optional<String> chromium = firstExisting("CHROME_BIN", CHROMIUM);
    Optional<String> driver = firstExisting("CHROMEDRIVER", CHROMEDRIVER);
    Assumptions.assumeTrue(
        chromium.isPresent() && driver.isPresent(),
        "ConsoleBrowserIT skipped: no headless browser here; install Debian's packages 'chromium'"
            + " and 'chromium-driver' (apt-get install -y chromium chromium-driver; .ci/run does)");
    int base = FreePorts.freeBase(9);
    endpoints =
        new Endpoints(
            Map.of(
                "us", URI.create("http://127.0.0.1:" + base),
                "eu", URI.create("http://127.0.0.1:" + (base + 1)),
                "ap", URI.create("http://127.0.0.1:" + (base + 2))),
            ADMIN_TOKEN,
            API_TOKEN,
            0);
    demo = startDemo(base);
    // Users for the census and the lag matrix: created in us (the drilled region) and in eu.
    for (int i = 0; i < 12; i++) createUser("console-us-" + i, "us");
    for (int i = 0; i < 4; i++) createUser("console-eu-" + i, "eu");

    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.get());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1300");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(new File(driver.get())).build();
    browser = new ChromeDriver(service, options);
    Files.createDirectories(SCREENSHOTS);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (browser != null) browser.quit();
    if (demo != null) stopDemo();
  }

  /**
   * {@code ./meridian demo}'s command on this JVM's class path without the test classes: their
   * logback-test.xml holds every log line back (LogCapturingExtension), and the demo's banner is a
   * log line. Waits for the banner; the demo restarts a region process that exits.
   */
  private static Process startDemo(int base) throws Exception {
    String classPath =
        Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(entry -> !entry.endsWith("test-classes"))
            .collect(java.util.stream.Collectors.joining(File.pathSeparator));
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-Dcassandra.classpath.file=" + System.getProperty("cassandra.classpath.file"),
                "-cp",
                classPath,
                "io.meridian.Main",
                "demo",
                "--base-http-port",
                Integer.toString(base),
                "--base-remote-port",
                Integer.toString(base + 3),
                "--base-management-port",
                Integer.toString(base + 6),
                "--data-dir",
                PROJECT.resolve("target/console-it").toString(),
                "--ready-timeout",
                "300s"));
    var builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(DEMO_LOG.toFile());
    builder.environment().put("MERIDIAN_ADMIN_TOKEN", ADMIN_TOKEN);
    builder.environment().put("MERIDIAN_API_TOKEN", API_TOKEN);
    Process process = builder.start();
    long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
    while (!Files.readString(DEMO_LOG).contains("Ctrl-C stops everything")) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroy();
        throw new IllegalStateException("the demo did not come up; see " + DEMO_LOG);
      }
      Thread.sleep(500); // the demo's own output is the only signal that it is up
    }
    descendants = process.descendants().toList();
    return process;
  }

  /** SIGTERM to the demo (it stops its regions and Cassandra), then SIGKILL to what is left. */
  private static void stopDemo() throws InterruptedException {
    List<ProcessHandle> started =
        Stream.concat(descendants.stream(), demo.descendants()).distinct().toList();
    demo.destroy();
    if (!demo.waitFor(90, TimeUnit.SECONDS)) demo.destroyForcibly();
    for (ProcessHandle process : started) {
      try {
        process.onExit().get(20, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        process.destroyForcibly();
      }
    }
  }

  private static void createUser(String userId, String home) throws Exception {
    var answer =
        http.send(
            HttpRequest.newBuilder(endpoints.uri(home).resolve("/v1/users"))
                .header("Authorization", "Bearer " + endpoints.apiToken())
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"userId\":\"" + userId + "\",\"homeRegion\":\"" + home + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(201, answer.statusCode(), answer.body());
  }

  private static void screenshot(String name) throws Exception {
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(
        shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  private static <T> T waitFor(Duration timeout, Function<WebDriver, T> condition) {
    // The page redraws the grid, the tables and the drill's steps every second or two: an element
    // found a moment ago may be gone; look again.
    return new WebDriverWait(browser, timeout, Duration.ofMillis(250))
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(condition);
  }

  private static String statusOf(String region) {
    return browser
        .findElement(By.cssSelector(".region[data-region='" + region + "'] .status"))
        .getText()
        .toLowerCase();
  }

  private static boolean regionIs(String region, String status) {
    try {
      return statusOf(region).equals(status);
    } catch (org.openqa.selenium.WebDriverException e) {
      return false; // the grid is being redrawn
    }
  }

  @Test
  void theConsoleShowsTheRegionsAndRunsADrillThatHandsTheUsersBack() throws Exception {
    // Opened on eu: the drill of us runs on a node that stays up.
    URI eu = endpoints.uri("eu");
    browser.get(eu.resolve("/console/").toString());
    browser.findElement(By.id("token")).sendKeys(endpoints.adminToken());
    browser.findElement(By.id("use-token")).click();

    waitFor(
        Duration.ofSeconds(30),
        d -> Stream.of("us", "eu", "ap").allMatch(region -> regionIs(region, "up")));
    // The census counts the users created in us (once they replicated to eu's journal).
    waitFor(
        Duration.ofSeconds(60),
        d ->
            d.findElement(By.cssSelector(".region[data-region='us'] .owned"))
                .getText()
                .equals("12"));
    screenshot("1-regions-up");

    waitFor(
        Duration.ofSeconds(30),
        d ->
            d.findElements(By.cssSelector("#lag-matrix td[data-origin]")).stream()
                .map(WebElement::getText)
                .anyMatch(text -> text.matches("\\d+")));
    waitFor(
        Duration.ofSeconds(30),
        d -> !d.findElements(By.cssSelector("#events li.ownership")).isEmpty());
    screenshot("2-lag-and-events");

    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("drill-region")))
        .selectByValue("us");
    browser.findElement(By.id("start-drill")).click();
    waitFor(Duration.ofSeconds(10), ExpectedConditions.alertIsPresent()).accept();

    waitFor(Duration.ofSeconds(60), d -> regionIs("us", "down"));
    waitFor(
        Duration.ofSeconds(60),
        d ->
            d.findElement(By.cssSelector("#drill-steps tr[data-step='re-home'] td:nth-child(2)"))
                .getText()
                .equals("done"));
    screenshot("3-drill-region-down");

    waitFor(
        Duration.ofMinutes(8),
        d -> !"running".equals(d.findElement(By.id("drill-status")).getAttribute("data-status")));
    String drillStatus = browser.findElement(By.id("drill-status")).getText();
    waitFor(Duration.ofSeconds(60), d -> regionIs("us", "up"));
    waitFor(
        Duration.ofSeconds(60),
        d ->
            d.findElements(By.cssSelector("#events li.region")).stream()
                .anyMatch(item -> item.getText().contains("us: down \u2192 up")));
    screenshot("4-drill-handed-back");
    assertTrue(drillStatus.contains(": passed"), drillStatus);
    for (String step : List.of("prepare", "down", "re-home", "up", "hand back", "verify"))
      assertEquals(
          "done",
          browser
              .findElement(
                  By.cssSelector("#drill-steps tr[data-step='" + step + "'] td:nth-child(2)"))
              .getText(),
          step);
    String summary = browser.findElement(By.cssSelector("#drill-steps")).getText();
    assertTrue(summary.contains("0 lost"), summary);
    assertTrue(
        summary.matches("(?s).*users moved (1[2-9]|[2-9]\\d), handed back (1[2-9]|[2-9]\\d).*"),
        summary);

    browser.findElement(By.id("user-id")).sendKeys("console-us-0");
    browser.findElement(By.id("lookup-user")).click();
    waitFor(
        Duration.ofSeconds(30),
        d -> d.findElements(By.cssSelector("#user-history tr")).size() >= 4);
    String history = browser.findElement(By.id("user-history")).getText();
    assertTrue(history.contains("created"), history);
    assertTrue(history.contains("seized_after_down"), history);
    assertTrue(history.contains("handed_back"), history);
    assertEquals(
        4, browser.findElements(By.cssSelector("#user-replicas tr:first-child th")).size());
    screenshot("5-user-lookup");
  }
}
