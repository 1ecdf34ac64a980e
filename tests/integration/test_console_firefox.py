"""The console flow of test_console_flow.py (sign-in, overview numbers, keys, top-up, CSV
export, XSS as text, phone width in dark mode) in Debian's Firefox ESR, driven over WebDriver
BiDi by the same puppeteer-core script: the console works in both current Chromium and Firefox.
Screenshots: build/console/firefox/*.png."""
import test_console_flow

if __name__ == "__main__":
    test_console_flow.main("firefox")
