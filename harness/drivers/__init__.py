"""Drivers of real clients: apps through Appium, browsers through its Chromium driver.

A driver implements the device protocol the emulated phone does, so a scenario
runs unchanged on an emulated phone, on a real app through Appium, or on an
emulated phone reached through Appium's harnessfake driver.
"""
