"""define_xml"""
