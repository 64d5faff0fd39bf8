import ArgumentParser
import Capture
import StageSupport
print("todo")
