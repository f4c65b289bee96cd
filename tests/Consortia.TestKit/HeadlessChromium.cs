using System.Diagnostics;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Consortia.TestKit;

/// <summary>
/// Debian's Chromium, headless, driven through its chromedriver with Selenium WebDriver, for browser tests: a fresh
/// profile in a temporary folder, bounded timeouts on every call, condition waits that poll the DOM, and screenshots
/// under <c>artifacts/browser/</c>. Disposing quits the browser, stops the driver and deletes the profile.
/// </summary>
/// <remarks>
/// <para>
/// The binaries are <c>/usr/bin/chromium</c> and <c>/usr/bin/chromedriver</c> (Debian's <c>chromium</c> and
/// <c>chromium-driver</c>, which <c>.ci/run</c> installs); <c>$CONSORTIA_CHROMIUM</c> and
/// <c>$CONSORTIA_CHROMEDRIVER</c> override them. When one is missing, <see cref="Start"/> throws naming it: browser
/// tests fail, never skip.
/// </para>
/// <para>
/// Chromium runs with <c>--no-sandbox</c> (tests run as root, where its sandbox refuses to start) and without its
/// background services (networking, component updates, sync, QUIC): on a machine with a closed network those open
/// connections that are refused, many at a time, and slow every start.
/// </para>
/// </remarks>
public sealed class HeadlessChromium : IDisposable
{
    /// <summary>Where Debian installs Chromium.</summary>
    public const string DefaultChromiumPath = "/usr/bin/chromium";

    /// <summary>Where Debian installs ChromeDriver.</summary>
    public const string DefaultDriverPath = "/usr/bin/chromedriver";

    /// <summary>The tallest full-page screenshot, in pixels.</summary>
    public const int MaxScreenshotHeight = 8000;

    /// <summary>The longest any single WebDriver command may take (a page load, a script, a screenshot).</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_driverStartTimeout = TimeSpan.FromSeconds(30);

    private readonly ChromeDriverService _service;
    private readonly ChromeDriver _driver;
    private readonly string _profile;
    private readonly string _driverLog;
    private bool _disposed;

    private HeadlessChromium(ChromeDriverService service, ChromeDriver driver, string profile, string driverLog)
    {
        _service = service;
        _driver = driver;
        _profile = profile;
        _driverLog = driverLog;
    }

    /// <summary>The WebDriver session, for finding elements and running scripts.</summary>
    public IWebDriver Driver
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _driver;
        }
    }

    /// <summary>The folder screenshots are saved in: <c>artifacts/browser/</c> under the repository root.</summary>
    public static string ArtifactsFolder => RepositoryPaths.Combine("artifacts", "browser");

    /// <summary>Starts chromedriver and a headless Chromium with a fresh profile.</summary>
    /// <param name="chromiumPath">The browser (default: <c>$CONSORTIA_CHROMIUM</c>, else <see cref="DefaultChromiumPath"/>).</param>
    /// <param name="driverPath">The driver (default: <c>$CONSORTIA_CHROMEDRIVER</c>, else <see cref="DefaultDriverPath"/>).</param>
    /// <returns>The running browser.</returns>
    /// <exception cref="InvalidOperationException">A binary is missing, or the browser did not start (the message says which and why).</exception>
    public static HeadlessChromium Start(string? chromiumPath = null, string? driverPath = null)
    {
        string chromium = chromiumPath ?? Environment.GetEnvironmentVariable("CONSORTIA_CHROMIUM") ?? DefaultChromiumPath;
        string driver = driverPath ?? Environment.GetEnvironmentVariable("CONSORTIA_CHROMEDRIVER") ?? DefaultDriverPath;
        RequireBinary(chromium, "Chromium", "chromium", "CONSORTIA_CHROMIUM");
        RequireBinary(driver, "ChromeDriver", "chromium-driver", "CONSORTIA_CHROMEDRIVER");

        string profile = Directory.CreateTempSubdirectory("consortia-chromium-").FullName;
        string driverLog = Path.Combine(profile, "chromedriver.log");
        ChromeDriverService service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        service.InitializationTimeout = s_driverStartTimeout;
        service.LogPath = driverLog;
        ChromeOptions options = new() { BinaryLocation = chromium };
        options.AddArguments(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,960",
            "--user-data-dir=" + Path.Combine(profile, "profile"));
        try
        {
            ChromeDriver session = new(service, options, CommandTimeout);
            session.Manage().Timeouts().PageLoad = CommandTimeout;
            session.Manage().Timeouts().AsynchronousJavaScript = CommandTimeout;
            // Elements are waited for with WaitUntil, never by the driver's implicit wait (which would hide the condition).
            session.Manage().Timeouts().ImplicitWait = TimeSpan.Zero;
            return new HeadlessChromium(service, session, profile, driverLog);
        }
        catch (Exception error) when (error is WebDriverException or InvalidOperationException)
        {
            string log = Tail(driverLog);
            KillTree(service.ProcessId);
            service.Dispose();
            DeleteProfile(profile);
            throw new InvalidOperationException(
                $"Headless Chromium did not start ({chromium} through {driver}): {error.Message}\n--- chromedriver log (end) ---\n{log}", error);
        }
    }

    /// <summary>Opens a page and waits for it to load (within <see cref="CommandTimeout"/>).</summary>
    /// <param name="url">The absolute URL.</param>
    public void Open(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        Driver.Navigate().GoToUrl(url);
    }

    /// <summary>
    /// Polls <paramref name="condition"/> against the live DOM until it returns a value that is not
    /// <see langword="null"/> (or <see langword="true"/>, for a <see cref="bool"/> condition), and returns it.
    /// Elements that are not there yet or were replaced mid-check count as "not yet".
    /// </summary>
    /// <typeparam name="T">What the condition yields.</typeparam>
    /// <param name="condition">Reads the page; <see langword="null"/> or <see langword="false"/> means "not yet".</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>The condition's first satisfying value.</returns>
    /// <exception cref="TimeoutException">The condition did not hold in time; the message names it, the page and its text, and a screenshot is saved.</exception>
    public async Task<T> WaitUntilAsync<T>(Func<IWebDriver, T?> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        Stopwatch clock = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            try
            {
                T? value = condition(Driver);
                if (value is not null && (value is not bool satisfied || satisfied))
                {
                    return value;
                }
            }
            catch (Exception error) when (error is NoSuchElementException or StaleElementReferenceException)
            {
                last = error;
            }

            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException(DescribeTimeout(what, timeout, last), last);
            }

            await Task.Delay(s_pollInterval, TimeProvider.System, cancellationToken);
        }
    }

    /// <summary>The text of the element with this id, or <see langword="null"/> when there is none yet (for conditions).</summary>
    /// <param name="id">The element id.</param>
    /// <returns>Its visible text, trimmed, or <see langword="null"/>.</returns>
    public string? TextById(string id)
    {
        IWebElement? found = Driver.FindElements(By.Id(id)).FirstOrDefault();
        return found?.Text.Trim();
    }

    /// <summary>Runs a script in the page (WebDriver's script execution is not bound by the page's Content-Security-Policy).</summary>
    /// <param name="script">The body of a function; its <c>return</c> value is the result.</param>
    /// <param name="arguments">Its <c>arguments</c>.</param>
    /// <returns>What it returned (numbers as <see cref="long"/> or <see cref="double"/>, arrays as collections).</returns>
    public object? ExecuteScript(string script, params object[] arguments) => ((IJavaScriptExecutor)Driver).ExecuteScript(script, arguments);

    /// <summary>Saves a screenshot as <c>artifacts/browser/NAME.png</c>: the viewport, or the whole page.</summary>
    /// <param name="name">The file name without extension (letters, digits, '-' and '_').</param>
    /// <param name="fullPage">Grow the window to the page's height first (at most <see cref="MaxScreenshotHeight"/> pixels), then restore it.</param>
    /// <returns>The PNG file's full path.</returns>
    public string SaveScreenshot(string name, bool fullPage = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"Screenshot name '{name}' must use only letters, digits, '-' and '_'.", nameof(name));
        }

        Directory.CreateDirectory(ArtifactsFolder);
        string path = Path.Combine(ArtifactsFolder, name + ".png");
        IWindow window = Driver.Manage().Window;
        System.Drawing.Size size = window.Size;
        if (fullPage)
        {
            // WebDriver screenshots show the viewport only; headless Chromium takes any window size, so make it the page's.
            long height = Convert.ToInt64(ExecuteScript("return document.documentElement.scrollHeight;"), System.Globalization.CultureInfo.InvariantCulture);
            window.Size = new System.Drawing.Size(size.Width, (int)Math.Clamp(height + (size.Height - ViewportHeight()), size.Height, MaxScreenshotHeight));
        }

        try
        {
            ((ITakesScreenshot)Driver).GetScreenshot().SaveAsFile(path);
        }
        finally
        {
            if (fullPage)
            {
                window.Size = size;
            }
        }

        return path;
    }

    private long ViewportHeight() =>
        Convert.ToInt64(ExecuteScript("return window.innerHeight;"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Quits the browser, stops the driver (killing it and Chromium if they do not go) and deletes the profile.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        int driverProcess = _service.ProcessId;
        try
        {
            _driver.Quit();
        }
        catch (WebDriverException)
        {
            // The browser is gone or hung: kill the driver with the browser it started while it is still their parent.
            KillTree(driverProcess);
        }

        _driver.Dispose();
        _service.Dispose();
        KillTree(driverProcess); // a driver that ignored its shutdown request
        DeleteProfile(_profile);
    }

    private string DescribeTimeout(string what, TimeSpan timeout, Exception? last)
    {
        string page;
        try
        {
            string text = Driver.FindElement(By.TagName("body")).Text;
            page = $"{Driver.Url}\n--- page text (start) ---\n{(text.Length > 2000 ? text[..2000] + " …" : text)}";
            page += "\n--- screenshot: " + SaveScreenshot("timeout-" + Guid.NewGuid().ToString("N")[..8]);
        }
        catch (WebDriverException error)
        {
            page = $"(the page could not be read: {error.Message})";
        }

        string reason = last is null ? string.Empty : $" (last: {last.GetType().Name}: {last.Message})";
        return $"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}{reason}; page: {page}\n--- chromedriver log (end) ---\n{Tail(_driverLog)}";
    }

    private static void RequireBinary(string path, string name, string package, string variable)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"{name} not found at {path}: install Debian's {package} package (.ci/run does), or set ${variable} to its path.");
        }
    }

    /// <summary>Kills chromedriver and the browser it started if they are still running (a hung quit must not leave them).</summary>
    private static void KillTree(int id)
    {
        if (id <= 0)
        {
            return;
        }

        try
        {
            using Process process = Process.GetProcessById(id);
            // The id may have been reused once the driver exited: only ever kill a chromedriver.
            if (!process.HasExited && process.ProcessName.Contains("chromedriver", StringComparison.Ordinal))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (ArgumentException)
        {
            // Already exited.
        }
        catch (InvalidOperationException)
        {
            // Exited between the look-up and the kill.
        }
    }

    private static void DeleteProfile(string profile)
    {
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be flushing a file as it exits; a leftover temporary profile is not worth a failure.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }

    private static string Tail(string file)
    {
        try
        {
            string text = File.ReadAllText(file);
            return text.Length > 4000 ? "…" + text[^4000..] : text;
        }
        catch (IOException)
        {
            return "(no chromedriver log)";
        }
    }
}
