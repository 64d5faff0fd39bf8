// Nothing: the declarations in include/ are libFuzzer's own.
#include "CLibFuzzer.h"
